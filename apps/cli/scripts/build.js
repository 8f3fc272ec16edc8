#!/usr/bin/env node
'use strict';
// Builds a self-contained dist/ of the CLI for `npm install -g` (see docs/cli.md):
// tsc compiles apps/cli and the @netsentry libraries it imports (followed through the path
// aliases) into dist/, then the `@netsentry/<lib>` requires are rewritten to relative paths,
// so the installed package needs only its npm dependencies (zod, commander, yaml; cap for live capture).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { distIsFresh, stampBeforeBuild, writeStamp } = require('../bin/source-stamp');

const app = path.resolve(__dirname, '..');
const root = path.resolve(app, '..', '..');
// `--out DIR`: build there instead of apps/cli/dist (a package assembled elsewhere, e.g. in a test).
const outAt = process.argv.indexOf('--out');
const target = outAt > 0 && process.argv[outAt + 1] ? path.resolve(process.argv[outAt + 1]) : path.join(app, 'dist');
// `--if-stale` (the set-up of npm test and npm run demo): nothing to do while the build matches the sources.
if (process.argv.includes('--if-stale') && distIsFresh(root, target)) {
  console.log(`${path.relative(process.cwd(), target) || target} is up to date`);
  process.exit(0);
}
// Built beside the target and swapped in at the end, so a netsentry started meanwhile runs the old
// build or the new one, never a half-written one.
const dist = `${target}.build-${process.pid}`;
const before = stampBeforeBuild(root);
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(app, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });

let rewritten = 0;
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.js')) {
      const src = fs.readFileSync(p, 'utf8');
      // tsc writes import statements' requires with double quotes and keeps the source's quotes
      // in plain require() calls (the lazy ones): both forms are rewritten.
      const out = src.replace(/require\((["'])@netsentry\/([a-z-]+)\1\)/g, (_, _q, lib) => {
        const index = path.join(dist, 'libs', lib, 'src', 'index.js');
        if (!fs.existsSync(index)) throw new Error(`${p}: @netsentry/${lib} was not compiled into dist`);
        let rel = path.relative(path.dirname(p), index).split(path.sep).join('/');
        if (!rel.startsWith('.')) rel = './' + rel;
        rewritten++;
        return `require(${JSON.stringify(rel)})`;
      });
      if (out !== src) fs.writeFileSync(p, out);
    }
  }
}
walk(dist);
// package.json files the libraries read at run time (e.g. their version).
for (const lib of fs.readdirSync(path.join(dist, 'libs'))) {
  const pj = path.join(app, '..', '..', 'libs', lib, 'package.json');
  if (fs.existsSync(pj)) fs.copyFileSync(pj, path.join(dist, 'libs', lib, 'package.json'));
}
// bin/netsentry.js runs this dist/ from the repository only while the sources match it.
writeStamp(root, dist, before);
const old = `${target}.old-${process.pid}`;
if (fs.existsSync(target)) fs.renameSync(target, old);
fs.renameSync(dist, target);
fs.rmSync(old, { recursive: true, force: true });
console.log(`built ${path.relative(process.cwd(), target) || target} (${rewritten} @netsentry requires rewritten)`);
