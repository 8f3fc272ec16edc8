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
bundle(dist);
// bin/netsentry.js runs this dist/ from the repository only while the sources match it.
writeStamp(root, dist, before);

const old = `${target}.old-${process.pid}`;
if (fs.existsSync(target)) fs.renameSync(target, old);
fs.renameSync(dist, target);
fs.rmSync(old, { recursive: true, force: true });
console.log(`built ${path.relative(process.cwd(), target) || target} (${rewritten} @netsentry requires rewritten)`);

/**
 * dist/bundle: each thread's entry (the command line and the analyze worker) as one file made by
 * esbuild from the compiled tree, run by a small loader (code-cache.js) with the V8 code cache
 * of a run on a shipped sample. A fresh process then loads two files instead of ~200 modules and
 * compiles no bytecode for what that run used (docs/bench/cli.md, "Bundle and code cache").
 */
function bundle(dir) {
  const esbuild = require('esbuild');
  const out = path.join(dir, 'bundle');
  const entries = [
    ['main', path.join(dir, 'apps/cli/src/main.js'), 'netsentry.js'],
    ['worker', path.join(dir, 'apps/cli/src/analyze.worker.js'), 'analyze.worker.js'],
  ];
  for (const [name, entry, loader] of entries) {
    const file = `${path.basename(loader, '.js')}.bundle.js`;
    esbuild.buildSync({
      entryPoints: [entry],
      outfile: path.join(out, file),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      // npm dependencies from the repository's node_modules, also for a dist built elsewhere (--out).
      nodePaths: [path.join(root, 'node_modules')],
      // Live capture's native module stays a require of the installed package's dependency; the
      // TypeScript loader is named only on the from-sources path, never taken by a bundle.
      external: ['cap', '@swc-node/register'],
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: 'warning',
    });
    // analyze.thread.js starts its worker as analyze.worker.js beside itself: the loader's name.
    fs.writeFileSync(
      path.join(out, loader),
      `'use strict';\n// Generated by apps/cli/scripts/build.js: runs ${file} with its code cache.\n` +
        `require('./code-cache').runBundle(require('node:path').join(__dirname, ${JSON.stringify(file)}), ${JSON.stringify(name)});\n`,
    );
  }
  fs.copyFileSync(path.join(__dirname, 'code-cache.js'), path.join(out, 'code-cache.js'));
  // The caches: the command line's from a one-thread run (it then runs the whole pipeline), the
  // worker's from a two-thread run. Without the sample (a package built outside the repository)
  // the bundles run without a cache.
  const sample = path.join(root, 'data', 'samples', 'attacks.pcap');
  if (!fs.existsSync(sample)) {
    console.log(`no ${path.relative(root, sample)}: the bundles are built without a code cache`);
    return;
  }
  const scratch = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'netsentry-cache-run-'));
  try {
    for (const [name, threads] of [['main', '1'], ['worker', '2']]) {
      execFileSync(
        process.execPath,
        [path.join(out, 'netsentry.js'), 'analyze', sample, '--out', scratch, '--quiet', '--format', 'json', '--threads', threads],
        { env: { ...process.env, NETSENTRY_CODE_CACHE_WRITE: name }, stdio: ['ignore', 'ignore', 'inherit'] },
      );
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const caches = fs.readdirSync(out).filter((f) => f.endsWith('.cache'));
  if (caches.length !== entries.length) throw new Error(`code cache run wrote ${caches.length} of ${entries.length} caches: ${caches.join(', ')}`);
}
