#!/usr/bin/env node
'use strict';
// `netsentry`. Installed (`npm install -g`, see docs/cli.md), the package has only dist/ and runs it.
// From the repository (npm workspaces link this file into node_modules/.bin) it runs the compiled
// apps/cli/dist when that was built from exactly the sources in the tree (`npm run build -w
// @netsentry/cli`; the set-up of `npm test` and `npm run demo` builds it): about half a second less
// start-up than compiling the TypeScript on the fly with @swc-node/register, which it does
// otherwise (no dist, any source edited since, or NETSENTRY_CLI_FROM_SOURCE=1).
const path = require('node:path');
const fs = require('node:fs');
const app = path.join(__dirname, '..');
const dist = path.join(app, 'dist');
// The bundled entry (build.js): one file per thread, run with its V8 code cache.
const distMain = path.join(dist, 'bundle', 'netsentry.js');
const srcMain = path.join(app, 'src', 'main.ts');

function fromDist() {
  if (!fs.existsSync(srcMain)) return fs.existsSync(distMain); // the installed package
  if (process.env.NETSENTRY_CLI_FROM_SOURCE === '1' || !fs.existsSync(distMain)) return false;
  return require(path.join(app, '..', '..', 'scripts', 'source-stamp')).distIsFresh(path.join(app, '..', '..'), dist);
}

if (fromDist()) {
  require(distMain);
} else {
  if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) {
    process.env.SWC_NODE_PROJECT = path.join(app, '..', '..', 'tsconfig.base.json');
  }
  require('@swc-node/register');
  require(srcMain);
}
