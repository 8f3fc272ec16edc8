#!/usr/bin/env node
'use strict';
// Compiles the services (sensor, aggregator, detector, with the models and migrate commands) and
// the libraries they import into dist/ (scripts/compiled-tree.js). scripts/service.js runs them
// from there while dist/ matches the sources: no TypeScript compiler in a service's process
// (@swc-node/register loads it, ~9 MB of source, into every heap a full collection marks).
// `--if-stale`: nothing to do while dist/ matches the sources (the set-up of npm test and npm run demo).
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { distIsFresh } = require('./source-stamp');
const { buildCompiledTree } = require('./compiled-tree');

const target = path.join(root, 'dist');
if (process.argv.includes('--if-stale') && distIsFresh(root, target, 'services')) {
  console.log('dist/ (the compiled services) is up to date');
  process.exit(0);
}
const rewritten = buildCompiledTree({
  root,
  unit: 'services',
  tsconfig: path.join(root, 'tsconfig.services.json'),
  target,
  finish: (dist) => {
    // Files the compiled code reads beside itself: the sensor's native addon (live.source.ts looks
    // in ../native) and non-TypeScript sources (e.g. libs/detection's sklearn script).
    fs.symlinkSync(path.join('..', '..', '..', 'services', 'sensor', 'native'), path.join(dist, 'services', 'sensor', 'native'));
    for (const lib of fs.readdirSync(path.join(dist, 'libs'))) copyAssets(path.join(root, 'libs', lib, 'src'), path.join(dist, 'libs', lib, 'src'));
  },
});
console.log(`built dist/ (the compiled services; ${rewritten} @netsentry requires rewritten)`);

/** Copies every file of `from` that tsc does not compile (not .ts) into the same place under `to`. */
function copyAssets(from, to) {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      if (fs.existsSync(dst)) copyAssets(src, dst);
    } else if (!e.name.endsWith('.ts')) {
      fs.copyFileSync(src, dst);
    }
  }
}
