/**
 * A short real lab run (root only, about 30 s): the tiny scenario's capture and truth file are
 * checked against each other, and the run must leave no namespace behind, also after Ctrl-C.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCaptureFile } from '@netsentry/packets';
import { isRoot, itIf } from '@netsentry/testing';
import { checkTruthAgainstCapture, ipv4ToInt, listNamespaces, requiredTools, runScenario, loadScenario, missingTools } from '@netsentry/lab';

const ROOT = resolve(__dirname, '../../..');
const TINY = resolve(ROOT, 'lab/scenarios/tiny.yaml');
const tiny = loadScenario(TINY);
const missing = tiny.ok ? missingTools(requiredTools(tiny.scenario)) : ['(tiny.yaml invalid)'];
const canRun = isRoot && missing.length === 0;
const reason = !isRoot ? 'needs root (network namespaces)' : `missing tools: ${missing.join(', ')}`;

function leftovers(prefix: string): string[] {
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith(prefix + '-')) : [];
  return [...listNamespaces(prefix), ...etc];
}

describe('lab run (tiny scenario)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lab-run-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  itIf(canRun, reason)('writes a capture whose every attack window contains that attack\'s packets', async () => {
    const r = await runScenario({ scenarioPath: TINY, outDir: dir, log: () => undefined });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    const t = r.truth;
    expect(t.attacks.map((a) => [a.id, a.type])).toEqual([
      ['scan', 'port_scan'],
      ['synflood', 'syn_flood'],
      ['sweep', 'host_sweep'],
    ]);
    // Independent check: every packet to or from the attacker lies in a window of its attacks.
    const check = await checkTruthAgainstCapture(r.capturePath, t.attacks);
    if (!check.ok) throw new Error(check.reason);
    expect(check.problems).toEqual([]);
    expect(check.outside).toBe(0);

    // Windows are ordered and inside the capture; times are the capture's, not the plan's.
    for (const a of t.attacks) {
      expect(a.start).toBeGreaterThanOrEqual(t.captureStart);
      expect(a.end).toBeLessThanOrEqual(t.captureEnd);
      expect(a.end).toBeGreaterThanOrEqual(a.start);
    }
    expect(t.attacks[0].end).toBeLessThan(t.attacks[1].start);
    expect(t.attacks[1].end).toBeLessThan(t.attacks[2].start);

    // hping3 -c 500: exactly 500 bare SYNs to port 80 inside the flood's window...
    const attacker = ipv4ToInt('10.66.7.12') >>> 0;
    const web = ipv4ToInt('10.66.7.10') >>> 0;
    const syn = t.attacks[1];
    let synIn = 0;
    let synAll = 0;
    let benign = 0;
    await readCaptureFile(r.capturePath, (p) => {
      if (p.l3 !== 4) return;
      if (p.src[3] >>> 0 === attacker && p.dst[3] >>> 0 === web && p.proto === 6 && p.tcpFlags === 0x02 && p.dstPort === 80) {
        synAll++;
        if (p.tsUs >= syn.start * 1e6 - 0.5 && p.tsUs <= syn.end * 1e6 + 0.5) synIn++;
      }
      if (p.src[3] >>> 0 === ipv4ToInt('10.66.7.11') >>> 0) benign++;
    });
    expect(synIn).toBe(500);
    // ...and outside it only nmap's own probe of port 80 (plus at most one retry).
    expect(synAll - synIn).toBeGreaterThanOrEqual(1);
    expect(synAll - synIn).toBeLessThanOrEqual(2);
    expect(benign).toBeGreaterThan(20);
    // The sweep reached absent addresses too (pinned neighbours), and the live target.
    expect(t.attacks[2].targets).toEqual(expect.arrayContaining(['10.66.7.1', '10.66.7.10', '10.66.7.20']));
    expect(t.benignHosts).toEqual(['10.66.7.10', '10.66.7.11']);
    expect(leftovers(`nslab${process.pid}`)).toEqual([]);
  });

  itIf(canRun, reason)('Ctrl-C stops every process and removes every namespace', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/lab/src/main.ts', 'run', TINY, '--out', join(dir, 'interrupted')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const prefix = `nslab${child.pid}`;
    let err = '';
    const started = await new Promise<boolean>((resolveStarted) => {
      const timer = setTimeout(() => resolveStarted(false), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('attack scan')) {
          clearTimeout(timer);
          resolveStarted(true);
        }
      });
    });
    expect(started).toBe(true);
    expect(listNamespaces(prefix).length).toBe(4);
    const code = await new Promise<number | null>((res) => {
      child.once('exit', (c) => res(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(130);
    expect(leftovers(prefix)).toEqual([]);
  });

  itIf(canRun, reason)('a failure after the services started (a port taken twice) still removes every namespace and process', async () => {
    // A subnet no other scenario uses, so that the process check below sees only this run.
    const net = 200 + (process.pid % 50);
    const scenario = join(dir, 'broken.yaml');
    writeFileSync(
      scenario,
      [
        'name: broken',
        'seed: 1',
        'duration: 5',
        `subnet: 10.66.${net}.0/24`,
        'hosts: [{ name: web }, { name: client }]',
        'benign:',
        '  - { kind: http_download, server: web, clients: [client], count: 1 }',
        '  - { kind: dns_lookup, server: web, clients: [client], count: 1 }',
        // the echo server cannot bind port 80: the HTTP server has it
        '  - { kind: tcp_session, server: web, clients: [client], port: 80 }',
      ].join('\n'),
    );
    const out = join(dir, 'broken');
    const r = await runScenario({ scenarioPath: scenario, outDir: out, log: () => undefined });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LAB.SERVICE');
      // whichever of the two binds second fails
      expect(r.error.message).toMatch(/(httpd|echo):80 on web (exited|did not start)/);
    }
    expect(existsSync(join(out, 'capture.pcap'))).toBe(false);
    expect(leftovers(`nslab${process.pid}`)).toEqual([]);
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(`httpd.js 10.66.${net}.10`);
    expect(ps).not.toContain(`--listen-address=10.66.${net}.10`);
  });

  const haveSetpriv = missingTools(['setpriv']).length === 0;
  itIf(isRoot && haveSetpriv, isRoot ? 'missing tool: setpriv (util-linux)' : 'needs root to drop to nobody')('refuses to run without root, saying so', () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-r', '@swc-node/register', 'libs/lab/src/main.ts', 'run', TINY, '--out', join(dir, 'nobody')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(77);
    expect(r.stderr).toContain('LAB.NOT_ROOT: the lab needs root');
  });

  it('the tools the tiny scenario needs are known', () => {
    expect(tiny.ok).toBe(true);
    if (tiny.ok) expect(requiredTools(tiny.scenario)).toEqual(['curl', 'dnsmasq', 'getent', 'hping3', 'ip', 'nmap', 'ping', 'tcpdump']);
  });
});
