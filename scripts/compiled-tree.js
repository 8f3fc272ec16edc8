'use strict';
// A compiled tree of a unit (the CLI, the services): tsc compiles it and the @netsentry libraries
// it imports (followed through the path aliases) into plain CommonJS, the `@netsentry/<lib>`
// requires are rewritten to relative paths, and a stamp records the sources it was built from
// (source-stamp.js). Built beside the target and swapped in at the end, so a process started
// meanwhile runs the old tree or the new one, never a half-written one.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const { stampBeforeBuild, writeStamp } = require('./source-stamp');

/** Rewrites every `require('@netsentry/<lib>')` under `dist` to the compiled library; returns how many. */
function rewriteLibRequires(dist) {
  let rewritten = 0;
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const src = fs.readFileSync(p, 'utf8');
        // tsc writes import statements' requires with double quotes and keeps the source's quotes
        // in plain require() calls (the lazy ones): both forms are rewritten.
        const out = src.replace(/require\((["'])@netsentry\/([a-z-]+)\1\)/g, (_, _q, lib) => {
          const index = path.join(dist, 'libs', lib, 'src', 'index.js');
          if (!fs.existsSync(index)) throw new Error(`${p}: @netsentry/${lib} was not compiled into ${dist}`);
          let rel = path.relative(path.dirname(p), index).split(path.sep).join('/');
          if (!rel.startsWith('.')) rel = './' + rel;
          rewritten++;
          return `require(${JSON.stringify(rel)})`;
        });
        if (out !== src) fs.writeFileSync(p, out);
      }
    }
  };
  walk(dist);
  return rewritten;
}

/**
 * Builds `unit` with `tsconfig` into `target`. `finish(dist)` runs on the new tree before the
 * swap (extra files, bundles). Returns the number of requires rewritten.
 */
function buildCompiledTree({ root, unit, tsconfig, target, finish }) {
  const dist = `${target}.build-${process.pid}`;
  const before = stampBeforeBuild(root, unit);
  fs.rmSync(dist, { recursive: true, force: true });
  let rewritten;
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig, '--outDir', dist], { stdio: 'inherit' });
    rewritten = rewriteLibRequires(dist);
    // package.json files the libraries read at run time (e.g. their version).
    for (const lib of fs.readdirSync(path.join(dist, 'libs'))) {
      const pj = path.join(root, 'libs', lib, 'package.json');
      if (fs.existsSync(pj)) fs.copyFileSync(pj, path.join(dist, 'libs', lib, 'package.json'));
    }
    if (finish) finish(dist);
    writeStamp(root, dist, before, unit);
  } catch (e) {
    // A failed build leaves nothing behind; the target keeps the previous build.
    fs.rmSync(dist, { recursive: true, force: true });
    throw e;
  }
  const old = `${target}.old-${process.pid}`;
  if (fs.existsSync(target)) fs.renameSync(target, old);
  fs.renameSync(dist, target);
  fs.rmSync(old, { recursive: true, force: true });
  return rewritten;
}

module.exports = { buildCompiledTree, rewriteLibRequires };
