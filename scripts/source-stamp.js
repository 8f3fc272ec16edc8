'use strict';
// What a compiled tree (apps/cli/dist, dist/ of the services) was built from: size and mtime of
// every TypeScript source of the unit and of the libraries compiled into its libs/, plus the
// build's own configuration. The build writes it; the launchers (apps/cli/bin/netsentry.js,
// scripts/service.js) run the compiled tree only while the stamp still equals the tree, so an
// edited, added or removed source never runs stale compiled code.
const fs = require('node:fs');
const path = require('node:path');

const STAMP = 'build-stamp.json';

/** What each compiled unit is built from besides its libraries: source folders and configuration files. */
const UNITS = {
  cli: {
    src: ['apps/cli/src'],
    config: ['tsconfig.base.json', 'apps/cli/tsconfig.build.json', 'apps/cli/scripts/build.js', 'apps/cli/scripts/code-cache.js', 'apps/cli/package.json', 'scripts/compiled-tree.js'],
  },
  services: {
    src: ['services/sensor/src', 'services/aggregator/src', 'services/detector/src'],
    config: ['tsconfig.base.json', 'tsconfig.services.json', 'scripts/build-services.js', 'scripts/compiled-tree.js', 'package.json'],
  },
};

/** Every .ts file (not spec, not .d.ts) under `dir`, as paths relative to `root`. */
function sources(root, dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) sources(root, rel, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** { file: [size, mtimeMs] } of the sources and configuration that `libs` (names) and the unit are built from. */
function sourceStamp(root, libs, unit) {
  const files = [];
  for (const dir of UNITS[unit].src) sources(root, dir, files);
  for (const lib of [...libs].sort()) {
    sources(root, `libs/${lib}/src`, files);
    files.push(`libs/${lib}/package.json`);
  }
  files.push(...UNITS[unit].config);
  const stamp = {};
  for (const f of files) {
    try {
      const s = fs.statSync(path.join(root, f));
      stamp[f] = [s.size, s.mtimeMs];
    } catch {
      stamp[f] = null;
    }
  }
  return stamp;
}

/** Every library's stamp, taken before a build starts (a source edited during the build then reads as changed). */
function stampBeforeBuild(root, unit = 'cli') {
  return sourceStamp(root, fs.readdirSync(path.join(root, 'libs')), unit);
}

/** Writes into `dist` the part of `before` for the CLI and the libraries the build compiled. */
function writeStamp(root, dist, before, unit = 'cli') {
  const libs = fs.readdirSync(path.join(dist, 'libs'));
  const files = {};
  for (const k of Object.keys(sourceStamp(root, libs, unit))) files[k] = k in before ? before[k] : null;
  fs.writeFileSync(path.join(dist, STAMP), JSON.stringify({ unit, libs, files }));
}

/** True when `dist` exists and was built from exactly the sources now in the tree. */
function distIsFresh(root, dist, unit = 'cli') {
  let built;
  try {
    built = JSON.parse(fs.readFileSync(path.join(dist, STAMP), 'utf8'));
  } catch {
    return false;
  }
  if (!built || !Array.isArray(built.libs) || typeof built.files !== 'object' || built.files === null) return false;
  if ((built.unit ?? 'cli') !== unit) return false;
  const now = sourceStamp(root, built.libs, unit);
  const keys = Object.keys(now);
  if (keys.length !== Object.keys(built.files).length) return false;
  for (const k of keys) {
    const a = now[k];
    const b = built.files[k];
    if (a === null || !Array.isArray(b) || a[0] !== b[0] || a[1] !== b[1]) return false;
  }
  return true;
}

module.exports = { stampBeforeBuild, writeStamp, distIsFresh, STAMP };
