#!/usr/bin/env node
'use strict';
// Runs a service's entry point given by its TypeScript source, e.g.
//   node scripts/service.js services/detector/src/main.ts [args...]
// from the compiled tree (dist/, scripts/build-services.js) while that was built from exactly the
// sources in the tree, else from the sources through @swc-node/register (no build, any source
// edited since, or NETSENTRY_FROM_SOURCE=1). npm's service scripts, the Docker image, the tests
// and the benchmarks start services this way.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
const entry = process.argv[2];
if (!entry || !/^(services|libs)\/[a-z-]+\/src\/[\w.-]+\.ts$/.test(entry) || !fs.existsSync(path.join(root, entry))) {
  process.stderr.write(`usage: node scripts/service.js <services/NAME/src/FILE.ts> [args...] (got ${entry === undefined ? 'nothing' : JSON.stringify(entry)})\n`);
  process.exit(2);
}
const dist = path.join(root, 'dist');
const compiled = path.join(dist, entry.replace(/\.ts$/, '.js'));

function fromDist() {
  if (process.env.NETSENTRY_FROM_SOURCE === '1' || !fs.existsSync(compiled)) return false;
  if (require('./source-stamp').distIsFresh(root, dist, 'services')) return true;
  // Say so: a stale build is never run, but the sources start slower and carry the compiler.
  process.stderr.write(`${entry}: dist/ was built from other sources; running the TypeScript sources (npm run build:services compiles them)\n`);
  return false;
}

let main;
if (fromDist()) {
  main = compiled;
} else {
  if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) process.env.SWC_NODE_PROJECT = path.join(root, 'tsconfig.base.json');
  const register = require.resolve('@swc-node/register');
  require(register);
  // Child processes started with process.execArgv (the detector's retraining run) load TypeScript the same way.
  process.execArgv.push('-r', register);
  main = path.join(root, entry);
}
// The entry runs as the main module, with the argv it would have had if node had started it.
process.argv.splice(1, 2, main);
Module.runMain(main);
