/**
 * Runs a scenario: namespaces and bridge, services, tcpdump on the bridge, the planned
 * activities and attacks at their offsets, then teardown, then truth measured from the capture.
 * Needs root. Every process is bounded in time and stopped by PID; the namespaces are removed
 * on success, on error and on SIGINT/SIGTERM.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { TruthV1, type TruthAttackV1 } from '@netsentry/evaluation';
import { Rng } from './rng';
import { planScenario, type Plan, type PlannedStep } from './plan';
import { ProcessRegistry, type Exit, type Proc } from './processes';
import { createTopology, destroyTopology, runPrefix, type Topology } from './topology';
import { loadScenario, type Scenario } from './scenario';
import { measureAttacks } from './windows';

export type LabErrorCode = 'LAB.NOT_ROOT' | 'LAB.MISSING_TOOL' | 'LAB.SCENARIO' | 'LAB.SETUP' | 'LAB.SERVICE' | 'LAB.CAPTURE' | 'LAB.NO_ATTACK_PACKETS' | 'LAB.OUTPUT' | 'LAB.INTERRUPTED';
export interface LabError {
  code: LabErrorCode;
  message: string;
}

export interface RunOptions {
  /** Scenario YAML file. */
  scenarioPath: string;
  /** Output directory (created). */
  outDir: string;
  /** File stem: writes `<stem>.pcap` and `<stem>.truth.json`; default `capture.pcap` and `truth.json`. */
  name?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export type RunResult = { ok: true; capturePath: string; truthPath: string; truth: TruthV1 } | { ok: false; error: LabError };

const HTTPD = resolve(__dirname, 'agents/httpd.js');

/** Tools a scenario needs on PATH. */
export function requiredTools(s: Scenario): string[] {
  const t = new Set(['ip', 'tcpdump']);
  for (const b of s.benign) {
    if (b.kind === 'http_download' || b.kind === 'upload') t.add('curl');
    if (b.kind === 'dns_lookup') t.add('dnsmasq').add('getent');
    if (b.kind === 'ping') t.add('ping');
    if (b.kind === 'tcp_session') t.add('socat');
  }
  for (const a of s.attacks) {
    if (a.kind === 'port_scan' || a.kind === 'host_sweep') t.add('nmap');
    if (a.kind === 'syn_flood' || a.kind === 'udp_flood' || a.kind === 'icmp_flood' || a.kind === 'ddos') t.add('hping3');
    if (a.kind === 'exfiltration' || a.kind === 'traffic_spike') t.add('curl');
  }
  return [...t].sort();
}

export function missingTools(tools: string[]): string[] {
  return tools.filter((c) => {
    try {
      execFileSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`[lab] ${l}\n`));
  const loaded = loadScenario(o.scenarioPath);
  if (!loaded.ok) return { ok: false, error: { code: 'LAB.SCENARIO', message: `${o.scenarioPath}: ${loaded.error.message}` } };
  const s = loaded.scenario;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return { ok: false, error: { code: 'LAB.NOT_ROOT', message: 'the lab needs root: it creates network namespaces, a bridge and raw-socket traffic (run it with sudo)' } };
  const missing = missingTools(requiredTools(s));
  if (missing.length) return { ok: false, error: { code: 'LAB.MISSING_TOOL', message: `missing tools: ${missing.join(', ')} (apt-get install iproute2 tcpdump nmap hping3 curl socat dnsmasq-base)` } };

  mkdirSync(o.outDir, { recursive: true });
  const capturePath = resolve(o.outDir, o.name ? `${o.name}.pcap` : 'capture.pcap');
  const truthPath = resolve(o.outDir, o.name ? `${o.name}.truth.json` : 'truth.json');
  const workDir = mkdtempSync(join(tmpdir(), 'netsentry-lab-'));
  const logFile = join(workDir, 'processes.log');
  // tcpdump writes into the work dir; the capture is copied out only when the run succeeds, so an
  // interrupted or failed run never leaves a half capture (or clobbers an older one) in outDir.
  const workCapture = join(workDir, 'capture.pcap');
  const plan = planScenario(s, { node: process.execPath, httpd: HTTPD, workDir });
  const procs = new ProcessRegistry();
  let topo: Topology | undefined;
  let interrupted: NodeJS.Signals | undefined;

  const teardownSync = () => {
    procs.killAllSync();
    if (topo) destroyTopology(topo);
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    log(`${sig}: stopping every process and removing the namespaces`);
    teardownSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', teardownSync);

  try {
    writeFiles(workDir, plan, s.seed);
    const prefix = runPrefix();
    log(`scenario ${s.name} (seed ${s.seed}): ${plan.hosts.length} hosts, ${plan.steps.length} steps, ${plan.attacks.length} attacks, ${s.duration} s; namespaces ${prefix}-*`);
    try {
      topo = createTopology(prefix, 24, plan.hosts);
    } catch (e) {
      return { ok: false, error: { code: 'LAB.SETUP', message: `could not build the lab network: ${errText(e)}` } };
    }
    const nsOf = (h: string) => topo!.hostNs.get(h)!;

    // Services first, then the capture, then the clock starts.
    const services: Proc[] = [];
    for (const sv of plan.services) {
      const p = procs.start(nsOf(sv.host), sv.argv, { label: `${sv.name}@${sv.host}`, timeoutSec: 0, capture: true });
      services.push(p);
    }
    for (const [i, sv] of plan.services.entries()) {
      const ok = await waitFor(() => (sv.name.startsWith('httpd') ? services[i].output.some((l) => l.startsWith('ready')) : true), 5000, services[i]);
      if (!ok) return { ok: false, error: { code: 'LAB.SERVICE', message: `${sv.name} on ${sv.host} did not start: ${services[i].output.slice(-5).join(' | ')}` } };
    }
    await sleep(300);
    for (const [i, sv] of plan.services.entries()) {
      if (await isDone(services[i])) return { ok: false, error: { code: 'LAB.SERVICE', message: `${sv.name} on ${sv.host} exited: ${services[i].output.slice(-5).join(' | ')}` } };
    }
    const tcpdump = procs.start(topo.bridgeNs, ['tcpdump', '-i', 'br0', '-n', '-s', String(s.capture.snaplen), '-U', '-Z', 'root', '-w', workCapture], { label: 'tcpdump', timeoutSec: 0, capture: true });
    if (!(await waitFor(() => tcpdump.output.some((l) => l.includes('listening on')), 5000, tcpdump)))
      return { ok: false, error: { code: 'LAB.CAPTURE', message: `tcpdump did not start: ${tcpdump.output.join(' | ')}` } };
    await sleep(500);

    const t0 = Date.now();
    log(`traffic starts (${plan.steps.length} steps over ${s.duration} s)`);
    const results: Array<{ step: PlannedStep; exit: Exit }> = [];
    const stepProcs: Proc[] = [];
    const timers: NodeJS.Timeout[] = [];
    let aborted = false;
    for (const step of plan.steps) {
      timers.push(
        setTimeout(() => {
          if (aborted) return;
          const limit = Math.max(1, Math.min(step.timeoutSec, s.duration - step.at));
          const p = procs.start(nsOf(step.host), step.argv, { label: `${step.host}: ${step.label}`, timeoutSec: limit, logFile });
          stepProcs.push(p);
          if (step.attackId) log(`+${((Date.now() - t0) / 1000).toFixed(1)} s attack ${step.attackId}: ${step.label}`);
          void p.exited.then((exit) => void results.push({ step, exit }));
        }, Math.max(0, t0 + step.at * 1000 - Date.now())),
      );
    }
    const progressEvery = 30_000;
    while (Date.now() < t0 + s.duration * 1000) {
      const left = t0 + s.duration * 1000 - Date.now();
      await sleep(Math.min(progressEvery, left));
      if (Date.now() < t0 + s.duration * 1000) log(`+${((Date.now() - t0) / 1000).toFixed(0)} s, ${results.length}/${plan.steps.length} steps done`);
    }
    aborted = true;
    for (const t of timers) clearTimeout(t);
    // Let the last packets cross, then stop what is left: steps, then services, tcpdump last.
    const allExited = () => Promise.all(stepProcs.map((p) => p.exited));
    await Promise.race([allExited(), sleep(2000)]);
    await Promise.all(stepProcs.map((p) => procs.stop(p)));
    await Promise.all(services.map((p) => procs.stop(p)));
    await sleep(500);
    await procs.stop(tcpdump, 'SIGINT');
    destroyTopology(topo);
    topo = undefined;

    const summary = { planned: plan.steps.length, ok: 0, failed: 0, stopped: 0 };
    for (const r of results) {
      if (r.exit.killed) summary.stopped++;
      else if (r.exit.code === 0) summary.ok++;
      else summary.failed++;
    }
    log(`traffic done: ${summary.ok} ok, ${summary.failed} failed, ${summary.stopped} stopped at their limit`);
    const failedAttack = results.find((r) => r.step.attackId && !r.exit.killed && r.exit.code !== 0 && !r.step.argv[0].includes('hping3'));
    if (failedAttack) log(`warning: attack step failed (${failedAttack.step.label}), exit ${failedAttack.exit.code}`);

    // Search windows: from one second before the first process of an attack started until three
    // seconds after its last one ended (replies in flight).
    const searches = plan.attacks.map((a) => {
      const rs = results.filter((r) => r.step.attackId === a.id);
      const from = rs.length ? Math.min(...rs.map((r) => r.exit.startMs)) - 1000 : 0;
      const until = rs.length ? Math.max(...rs.map((r) => r.exit.endMs)) + 3000 : 0;
      return { id: a.id, sources: a.sources, targets: a.targets, fromMs: from, untilMs: until };
    });
    const m = await measureAttacks(workCapture, searches);
    if (!m.ok) return { ok: false, error: { code: 'LAB.CAPTURE', message: m.reason } };
    const attacks: TruthAttackV1[] = [];
    for (const [i, a] of plan.attacks.entries()) {
      const got = m.attacks[i];
      if (got.packets === 0) return { ok: false, error: { code: 'LAB.NO_ATTACK_PACKETS', message: `attack ${a.id} left no packet in the capture` } };
      const steps = plan.steps.filter((st) => st.attackId === a.id);
      attacks.push({
        id: a.id,
        type: a.type,
        kind: a.kind,
        sources: a.sources,
        targets: a.kind === 'host_sweep' ? got.targetsSeen : a.targets,
        start: got.firstUs / 1e6,
        end: got.lastUs / 1e6,
        packets: got.packets,
        bytes: got.bytes,
        tool: steps[0]?.argv.join(' ').replace(workDir, '$WORK'),
        params: a.params,
      });
    }
    const truth = TruthV1.parse({
      version: 1,
      scenario: s.name,
      seed: s.seed,
      scenarioSha256: createHash('sha256').update(loaded.text ?? '').digest('hex'),
      capture: basename(capturePath),
      captureStart: m.capture.firstUs / 1e6,
      captureEnd: m.capture.lastUs / 1e6,
      packets: m.capture.packets,
      subnet: s.subnet,
      hosts: plan.hosts.map((h) => ({ name: h.name, ip: h.ip, role: h.role })),
      benignHosts: plan.hosts.filter((h) => h.role === 'benign').map((h) => h.ip),
      attacks,
      steps: summary,
    });
    try {
      copyFileSync(workCapture, capturePath);
      writeFileSync(truthPath, JSON.stringify(truth, null, 2) + '\n');
    } catch (e) {
      return { ok: false, error: { code: 'LAB.OUTPUT', message: `could not write ${capturePath} / ${truthPath}: ${errText(e)}` } };
    }
    log(`wrote ${capturePath} (${statSync(capturePath).size} bytes, ${m.capture.packets} packets) and ${truthPath}`);
    return { ok: true, capturePath, truthPath, truth };
  } catch (e) {
    if (interrupted) return { ok: false, error: { code: 'LAB.INTERRUPTED', message: interrupted } };
    return { ok: false, error: { code: 'LAB.SETUP', message: errText(e) } };
  } finally {
    teardownSync();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', teardownSync);
  }
}

/** Upload files for exfiltration, filled from the seed (content is deterministic too). */
function writeFiles(dir: string, plan: Plan, seed: number): void {
  const rng = new Rng(seed ^ 0x5eed);
  const block = Buffer.alloc(1 << 16);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(rng.next() * 2 ** 32), i);
  for (const f of plan.files) {
    const fd = openSync(join(dir, f.name), 'w');
    try {
      let left = f.bytes;
      let k = 0;
      while (left > 0) {
        const n = Math.min(left, block.length);
        // Vary each block a little so the data does not compress to nothing.
        block.writeUInt32LE(k++, 0);
        writeSync(fd, block, 0, n);
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
  }
}

async function waitFor(cond: () => boolean, ms: number, p: Proc): Promise<boolean> {
  const until = Date.now() + ms;
  let done = false;
  void p.exited.then(() => (done = true));
  while (Date.now() < until) {
    if (cond()) return true;
    if (done) return false;
    await sleep(50);
  }
  return cond();
}

async function isDone(p: Proc): Promise<boolean> {
  return Promise.race([p.exited.then(() => true), sleep(10).then(() => false)]);
}

function errText(e: unknown): string {
  const err = e as { message?: string; stderr?: Buffer };
  return [err.message, err.stderr?.toString()].filter(Boolean).join(': ');
}
