import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../src/cli';
import { REPO, tempDir } from './helpers';

const APP = join(REPO, 'apps/cli');
const DEMO = join(REPO, 'data/samples/demo.pcap');

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/**
 * The package as `npm pack` makes it (bin, dist, README; the prepack build is run here into the
 * package's own folder, not into apps/cli/dist, which other tests may be running), installed with
 * `npm install -g` under a private prefix, then run on the demo capture: the same outputs as the
 * repository's CLI from the TypeScript sources. cap (live capture, a native build) is left out:
 * everything but -i works without it.
 */
describe('npm install -g of the built CLI', () => {
  it('installs, runs with no repository around it, and analyses like the repository CLI', () => {
    const tmp = tempDir('netsentry-install-');
    const dir = tmp.dir;
    const pkg = join(dir, 'pkg');
    mkdirSync(pkg);
    const build = sh(process.execPath, [join(APP, 'scripts/build.js'), '--out', join(pkg, 'dist')], REPO);
    expect(build.err).toBe('');
    expect(build.code).toBe(0);
    for (const f of ['bin', 'package.json', 'README.md']) cpSync(join(APP, f), join(pkg, f), { recursive: true });
    const pack = sh('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], pkg);
    expect(pack.code).toBe(0);
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    expect(tgz).toBeDefined();

    const prefix = join(dir, 'prefix');
    const install = sh('npm', ['install', '-g', '--prefix', prefix, join(dir, tgz!), '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    expect(install.code).toBe(0);
    const installed = join(prefix, 'lib/node_modules/@netsentry/cli');
    expect(existsSync(join(installed, 'dist/apps/cli/src/main.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false); // compiled code only
    // The bundles the bin runs, each with the code cache the build's sample runs made.
    const bundled = readdirSync(join(installed, 'dist/bundle'));
    expect(bundled.filter((f) => f.endsWith('.bundle.js')).sort()).toEqual(['analyze.worker.bundle.js', 'netsentry.bundle.js']);
    expect(bundled.filter((f) => f.endsWith('.cache'))).toHaveLength(2);
    const bin = join(prefix, 'bin/netsentry');
    expect(sh(bin, ['--version'], dir, { NETSENTRY_CODE_CACHE_DEBUG: '1' }).err).toBe('netsentry: code cache netsentry.bundle.js: accepted\n');

    // Run from a folder outside the repository, so nothing resolves through its node_modules.
    const version = sh(bin, ['--version'], dir);
    expect(version.out.trim()).toBe(VERSION);
    const outInstalled = join(dir, 'installed');
    const a = sh(bin, ['analyze', DEMO, '--out', outInstalled, '--quiet', '--format', 'json'], dir);
    expect(a.err).toBe('');
    expect(a.code).toBe(0);
    const outRepo = join(dir, 'repo');
    const b = sh(process.execPath, [join(APP, 'bin/netsentry.js'), 'analyze', DEMO, '--out', outRepo, '--quiet', '--format', 'json'], REPO, { NETSENTRY_CLI_FROM_SOURCE: '1' });
    expect(b.code).toBe(0);
    for (const f of ['flows.csv', 'alerts.csv', 'anomalies.csv']) {
      const mine = readFileSync(join(outInstalled, f), 'utf8');
      expect(mine.split('\n').length).toBeGreaterThan(2);
      expect(mine).toBe(readFileSync(join(outRepo, f), 'utf8'));
    }
    tmp.cleanup();
  });
});
