'use strict';
// Runs one of the CLI's bundles (dist/bundle/*.bundle.js, see build.js) as a CommonJS module, with
// the V8 code cache the build made for it: the bytecode of every function a run on a sample
// capture compiled, so a fresh process neither parses the bundle's functions nor compiles them to
// bytecode again (docs/bench/cli.md, "Bundle and code cache").
//
// The cache file is named by the SHA-256 of the bundle's text: V8 itself checks only the
// source's length and its own version and flags, so an edited bundle of the same length must
// not meet an old cache; and V8 does not check the cache's bytes, so the file starts with their
// SHA-256. A missing or damaged cache, or one V8 rejects (another Node.js, other V8 flags), costs
// only the compile it would have saved.
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** Set in a run that writes a cache; a thread calls it once its work is done (analyze.worker.ts). */
const CHECKPOINT = Symbol.for('netsentry.codeCache.checkpoint');

/**
 * Runs `file` with its cache. When NETSENTRY_CODE_CACHE_WRITE equals `name` (the build's sample
 * runs), the cache is written at `checkpoint()` or at exit: after the run, so it holds the
 * lazily compiled functions too.
 */
function runBundle(file, name) {
  const src = fs.readFileSync(file, 'utf8');
  const digest = crypto.createHash('sha256').update(src).digest('hex').slice(0, 32);
  const cacheFile = `${file}.${digest}.cache`;
  const { data: cachedData, damaged } = readCache(cacheFile);
  const script = new vm.Script(Module.wrap(src), { filename: file, cachedData });
  if (process.env.NETSENTRY_CODE_CACHE_DEBUG === '1') {
    const state = damaged ? 'damaged' : cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
    process.stderr.write(`netsentry: code cache ${path.basename(file)}: ${state}\n`);
  }
  if (process.env.NETSENTRY_CODE_CACHE_WRITE === name) {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      const data = script.createCachedData();
      try {
        fs.writeFileSync(tmp, Buffer.concat([sha256(data), data]));
        fs.renameSync(tmp, cacheFile);
      } catch (e) {
        // A read-only installation: the run itself succeeded (the build checks that its caches exist).
        process.stderr.write(`netsentry: cannot write the code cache ${cacheFile}: ${e.message}\n`);
        fs.rmSync(tmp, { force: true });
      }
    };
    globalThis[CHECKPOINT] = write;
    process.on('exit', write);
  }
  const mod = new Module(file, module);
  mod.filename = file;
  const wrapper = script.runInThisContext();
  wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

const sha256 = (b) => crypto.createHash('sha256').update(b).digest();

/**
 * The cache's bytes, when its SHA-256 header matches them. V8 checks a cache's version, flags and
 * source length, but not its bytes: a damaged cache crashes the process (seen here: SIGSEGV).
 */
function readCache(cacheFile) {
  let bytes;
  try {
    bytes = fs.readFileSync(cacheFile);
  } catch {
    return { data: undefined, damaged: false };
  }
  const data = bytes.subarray(32);
  if (bytes.length <= 32 || !sha256(data).equals(bytes.subarray(0, 32))) return { data: undefined, damaged: true };
  return { data, damaged: false };
}

module.exports = { runBundle };
