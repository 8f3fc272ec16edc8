#!/usr/bin/env node
'use strict';
// `netsentry` from the repository (npm workspaces link it into node_modules/.bin):
// compile the TypeScript sources on the fly with @swc-node/register. The built package
// (`npm run build -w @netsentry/cli`, see docs/cli.md) ships dist/ instead and uses it when present.
const path = require('node:path');
const fs = require('node:fs');
const dist = path.join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (fs.existsSync(dist) && !fs.existsSync(path.join(__dirname, '..', 'src', 'main.ts'))) {
  require(dist);
} else {
  if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) {
    process.env.SWC_NODE_PROJECT = path.join(__dirname, '..', '..', '..', 'tsconfig.base.json');
  }
  require('@swc-node/register');
  require(path.join(__dirname, '..', 'src', 'main.ts'));
}
