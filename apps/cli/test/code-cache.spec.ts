import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir } from './helpers';

const LOADER = join(REPO, 'apps/cli/scripts/code-cache.js');

/** A bundle and its loader entry, as build.js writes them, in a scratch folder. */
function scratchBundle(dir: string, body: string): { entry: string; bundle: string } {
  const bundle = join(dir, 'x.bundle.js');
  writeFileSync(bundle, body);
  const entry = join(dir, 'x.js');
  writeFileSync(entry, `require(${JSON.stringify(LOADER)}).runBundle(require('node:path').join(__dirname, 'x.bundle.js'), 'main');\n`);
  return { entry, bundle };
}

function run(entry: string, env: Record<string, string> = {}, nodeArgs: string[] = []): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [...nodeArgs, entry], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NETSENTRY_CODE_CACHE_DEBUG: '1', ...env },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const caches = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.cache'));

// The bundle reports what a CommonJS module sees (its file, its require) and runs a function
// that is compiled lazily, after the top level: the cache written at exit must hold it too.
const BODY = [
  "const path = require('node:path');",
  'function later(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }',
  "process.stdout.write(`${path.basename(__filename)} ${path.basename(__dirname) === path.basename(process.env.SCRATCH) ? 'dir' : '?'} ${later(10)} answer=42\\n`);",
  '',
].join('\n');

describe('code-cache loader (dist/bundle)', () => {
  it('runs a bundle as a module, writes its cache when asked, and uses it only for the same text', () => {
    const tmp = tempDir('netsentry-code-cache-');
    const { entry, bundle } = scratchBundle(tmp.dir, BODY);
    const env = { SCRATCH: tmp.dir };

    const first = run(entry, env);
    expect(first.code).toBe(0);
    expect(first.out).toBe('x.bundle.js dir 45 answer=42\n');
    expect(first.err).toBe('netsentry: code cache x.bundle.js: none\n');
    expect(caches(tmp.dir)).toEqual([]);

    // Only the run whose NETSENTRY_CODE_CACHE_WRITE names this bundle writes; the file is named by the text's SHA-256.
    expect(run(entry, { ...env, NETSENTRY_CODE_CACHE_WRITE: 'worker' }).code).toBe(0);
    expect(caches(tmp.dir)).toEqual([]);
    expect(run(entry, { ...env, NETSENTRY_CODE_CACHE_WRITE: 'main' }).code).toBe(0);
    const digest = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 32);
    expect(caches(tmp.dir)).toEqual([`x.bundle.js.${digest}.cache`]);

    const cached = run(entry, env);
    expect(cached.err).toBe('netsentry: code cache x.bundle.js: accepted\n');
    expect(cached.out).toBe(first.out);

    // Other V8 flags: V8 rejects the cache, and the bundle is compiled as usual.
    const otherFlags = run(entry, env, ['--no-opt']);
    expect(otherFlags.code).toBe(0);
    expect(otherFlags.err).toBe('netsentry: code cache x.bundle.js: rejected\n');
    expect(otherFlags.out).toBe(first.out);

    // Damaged bytes (V8 would run them, and crash): the loader's own checksum keeps them from V8.
    const cacheFile = join(tmp.dir, caches(tmp.dir)[0]);
    const bytes = readFileSync(cacheFile);
    for (let i = 64; i < bytes.length; i += 7) bytes[i] ^= 0xff;
    writeFileSync(cacheFile, bytes);
    const damaged = run(entry, env);
    expect(damaged.code).toBe(0);
    expect(damaged.err).toBe('netsentry: code cache x.bundle.js: damaged\n');
    expect(damaged.out).toBe(first.out);
    writeFileSync(cacheFile, bytes.subarray(0, 20)); // cut short
    expect(run(entry, env).err).toBe('netsentry: code cache x.bundle.js: damaged\n');

    // A cache that cannot be written is reported and the run still succeeds (tests run as root,
    // so a read-only folder would not stop the write: a directory stands where the cache goes).
    rmSync(cacheFile);
    mkdirSync(join(cacheFile, 'in-the-way'), { recursive: true });
    const unwritable = run(entry, { ...env, NETSENTRY_CODE_CACHE_WRITE: 'main', NETSENTRY_CODE_CACHE_DEBUG: '0' });
    expect(unwritable.code).toBe(0);
    expect(unwritable.out).toBe(first.out);
    expect(unwritable.err).toMatch(/^netsentry: cannot write the code cache .*x\.bundle\.js\.[0-9a-f]{32}\.cache: /);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    rmSync(cacheFile, { recursive: true });

    // An edit of the same length (V8's own check compares only lengths) finds no cache for its text.
    writeFileSync(bundle, BODY.replace('answer=42', 'answer=43'));
    const edited = run(entry, env);
    expect(edited.err).toBe('netsentry: code cache x.bundle.js: none\n');
    expect(edited.out).toBe('x.bundle.js dir 45 answer=43\n');
    tmp.cleanup();
  });
});
