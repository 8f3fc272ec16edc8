import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// scripts/service.js: which code a service runs (compiled dist/ or the TypeScript sources), and
// that the entry sees the process it would have seen had node started it directly.
const ROOT = resolve(__dirname, '../..');

interface Seen {
  main: string | undefined;
  argv: string[];
  execArgv: string[];
  typescript: boolean;
}

describe('scripts/service.js', () => {
  let dir: string;
  let probe: string;
  beforeAll(() => {
    // npm test builds dist/ before jest; a no-op then, a build when run on its own after an edit.
    execFileSync(process.execPath, ['scripts/build-services.js', '--if-stale'], { cwd: ROOT, stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'netsentry-service-'));
    probe = join(dir, 'probe.js');
    // Preloaded into the launched process: at exit, what ran as main and whether the TypeScript compiler was loaded.
    writeFileSync(
      probe,
      `process.on('exit', () => require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({
        main: process.mainModule && process.mainModule.filename, argv: process.argv.slice(1), execArgv: process.execArgv,
        typescript: Object.keys(require.cache).some((k) => k.includes('/node_modules/typescript/')) })));`,
    );
  }, 120000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function launch(args: string[], env: Record<string, string> = {}): { status: number | null; out: string; seen: Seen | null } {
    const out = join(dir, `seen-${Math.random().toString(36).slice(2)}.json`);
    const r = spawnSync(process.execPath, ['-r', probe, 'scripts/service.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, NETSENTRY_FROM_SOURCE: '', ...env, PROBE_OUT: out },
      encoding: 'utf8',
      timeout: 60000,
    });
    let seen: Seen | null = null;
    try {
      seen = JSON.parse(readFileSync(out, 'utf8')) as Seen;
    } catch {
      /* the process died before its exit handlers */
    }
    return { status: r.status, out: r.stdout + r.stderr, seen };
  }

  it('runs the compiled entry while dist/ matches the sources, as the main module, without the TypeScript compiler', () => {
    const r = launch(['services/detector/src/models.cli.ts', '--help']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('the NetSentry model registry');
    const main = join(ROOT, 'dist/services/detector/src/models.cli.js');
    expect(r.seen).toEqual({ main, argv: [main, '--help'], execArgv: ['-r', probe], typescript: false });
  });

  it('runs the TypeScript source with NETSENTRY_FROM_SOURCE=1, and passes the loader on to child processes', () => {
    const r = launch(['services/detector/src/models.cli.ts', '--help'], { NETSENTRY_FROM_SOURCE: '1' });
    expect(r.status).toBe(0);
    expect(r.out).toContain('the NetSentry model registry');
    const main = join(ROOT, 'services/detector/src/models.cli.ts');
    expect(r.seen?.main).toBe(main);
    expect(r.seen?.argv).toEqual([main, '--help']);
    // The detector's retraining run is `node ...process.execArgv models.cli.ts`.
    expect(r.seen?.execArgv).toEqual(['-r', probe, '-r', require.resolve('@swc-node/register')]);
  });

  it('gives a compiled service the same exit and message as the source (a sensor refusing its input)', () => {
    const args = ['services/sensor/src/main.ts', '--replay', join(dir, 'missing.pcap')];
    const compiled = launch(args);
    const source = launch(args, { NETSENTRY_FROM_SOURCE: '1' });
    expect(compiled.seen?.main).toBe(join(ROOT, 'dist/services/sensor/src/main.js'));
    expect(source.seen?.main).toBe(join(ROOT, 'services/sensor/src/main.ts'));
    expect(compiled.status).toBe(2);
    expect(source.status).toBe(2);
    expect(compiled.out).toContain('missing.pcap: cannot open capture file: no such file');
    expect(compiled.out).toBe(source.out);
  });

  it('refuses anything but a service entry point given by its source path', () => {
    for (const bad of [[], ['bogus'], ['services/detector/src/../../../etc/passwd.ts'], ['services/nothing/src/main.ts']]) {
      const r = launch(bad);
      expect(r.status).toBe(2);
      expect(r.out).toMatch(/^usage: node scripts\/service\.js/);
    }
  });
});
