/**
 * Statistics + rules benchmark: what the per-interval traffic statistics (StatsBuilder) and the
 * attack rules (RuleEngine, in-process hand-off as in the CLI) cost on top of decode + flow
 * table, in packets/s of CPU time (user + system of this process, process.cpuUsage), so the
 * figures mean something on the shared, loaded machine. Wall-clock packets/s are printed too.
 *
 * Inputs:
 *   - data/samples/attacks.pcap (lab attacks: scans, sweeps, floods), read BENCH_SR_REPEAT
 *     (default 10) times back to back with packet time shifted so the repeats follow each other;
 *   - the >= 1 M-packet namespace capture of bench/fixtures.ts, only if it is already cached in
 *     bench/data (this bench never builds it: that takes minutes of root-only work);
 *   - /work/shared/data/pcaps/stopddos/pkt.TCP.synflood.spoofed.pcap (37 k spoofed sources),
 *     repeated BENCH_SR_FLOOD_REPEAT (default 5) times, if the shared captures are present.
 * Each (input, stage) runs BENCH_SR_RUNS (default 3) times after one warm-up; the best CPU time
 * is reported (BENCH_SR_ONLY=<text> keeps the inputs whose name contains it).
 * Run: node -r @swc-node/register bench/stats-rules.bench.ts
 * Figures are recorded in docs/bench/stats-rules.md.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type { StatsV1 } from '@netsentry/contracts';
import { parseRulesConfig, RuleEngine } from '@netsentry/detection';
import { FlowTable, StatsBuilder } from '@netsentry/flows';
import { readCaptureFile, type PacketRecord } from '@netsentry/packets';
import { bigCaptureMeta, BIG_CAPTURE } from './fixtures';

const ROOT = resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_SR_RUNS ?? 3);
const SHARED_STOPDDOS = '/work/shared/data/pcaps/stopddos';

type Stage = 'flows' | 'stats' | 'rules';
const STAGES: Stage[] = ['flows', 'stats', 'rules'];

interface Input {
  name: string;
  file: string;
  repeat: number;
}

interface Result {
  packets: number;
  cpuS: number;
  wallS: number;
  partials: number;
  alerts: number;
}

/** Reads `input` `repeat` times through the stages up to `stage`, returns counts and times. */
async function runOnce(input: Input, stage: Stage): Promise<Result> {
  const cfg = parseRulesConfig({});
  if (!cfg.ok) throw new Error(cfg.reason);
  let alerts = 0;
  let partials = 0;
  const engine = stage === 'rules' ? new RuleEngine(cfg.value, (_a, change) => { if (change === 'new') alerts++; }) : null;
  const table = new FlowTable({ sensor: 'bench' }, () => undefined);
  const onStats = engine !== null ? (s: StatsV1): void => { partials++; engine.onStats(s); } : (): void => { partials++; };
  const stats = stage === 'flows' ? null : new StatsBuilder({ sensor: 'bench' }, onStats);
  let packets = 0;
  let shiftUs = 0;
  let lastUs = 0;
  let nextWm = -1;
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  for (let r = 0; r < input.repeat; r++) {
    let firstUs = -1;
    const base = shiftUs;
    await readCaptureFile(input.file, (rec: PacketRecord) => {
      if (firstUs < 0) firstUs = rec.tsUs;
      // Repeats follow each other in packet time (1 s apart), as a longer capture would.
      const ts = rec.tsUs - firstUs + base;
      rec.tsUs = ts;
      if (ts > lastUs) lastUs = ts;
      packets++;
      // One-second watermarks, as the CLI pipeline sends them.
      if (ts >= nextWm) {
        if (nextWm >= 0) {
          table.advance(ts);
          stats?.advance(ts);
          engine?.advance(ts / 1e6);
        }
        nextWm = ts - (ts % 1_000_000) + 1_000_000;
      }
      const isNew = table.add(rec);
      stats?.add(rec, isNew);
    });
    shiftUs = lastUs + 1_000_000;
  }
  table.flush();
  stats?.flush();
  engine?.advance(lastUs / 1e6);
  engine?.flush();
  const c = process.cpuUsage(c0);
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  return { packets, cpuS: (c.user + c.system) / 1e6, wallS, partials, alerts };
}

function rate(packets: number, s: number): string {
  if (!(s > 0)) return '-';
  const r = packets / s;
  return r >= 1e5 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(1)} k`;
}

async function main(): Promise<void> {
  const inputs: Input[] = [
    { name: `attacks.pcap ×${process.env.BENCH_SR_REPEAT ?? 10}`, file: join(ROOT, 'data/samples/attacks.pcap'), repeat: Number(process.env.BENCH_SR_REPEAT ?? 10) },
  ];
  const notes: string[] = [];
  if (bigCaptureMeta() !== null) inputs.push({ name: 'ns-traffic-1m.pcap (1 M packets)', file: BIG_CAPTURE, repeat: 1 });
  else notes.push(`${BIG_CAPTURE} is not cached: skipped (build it with bench/fixtures.ts ensureBigCapture(), as root).`);
  const flood = join(SHARED_STOPDDOS, 'pkt.TCP.synflood.spoofed.pcap');
  const floodRepeat = Number(process.env.BENCH_SR_FLOOD_REPEAT ?? 5);
  if (existsSync(flood)) inputs.push({ name: `pkt.TCP.synflood.spoofed.pcap ×${floodRepeat}`, file: flood, repeat: floodRepeat });
  else notes.push(`${flood} is missing: spoofed SYN flood skipped.`);

  // BENCH_SR_ONLY=<text>: only the inputs whose name contains it.
  const only = process.env.BENCH_SR_ONLY;
  if (only) inputs.splice(0, inputs.length, ...inputs.filter((i) => i.name.includes(only)));
  const lines: string[] = [];
  lines.push(`Load average at start: ${loadavg().map((x) => x.toFixed(1)).join(' ')}; node ${process.version}; best of ${RUNS} (CPU time).`);
  lines.push('');
  lines.push('| input | stage | packets | CPU s | packets/s (CPU) | packets/s (wall) | stats partials | alerts |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const label: Record<Stage, string> = { flows: 'flow table', stats: '+ stats', rules: '+ stats + rules' };
  for (const input of inputs) {
    for (const stage of STAGES) {
      await runOnce({ ...input, repeat: 1 }, stage); // warm-up
      let best: Result | null = null;
      for (let i = 0; i < RUNS; i++) {
        const r = await runOnce(input, stage);
        if (best === null || r.cpuS < best.cpuS) best = r;
      }
      const b = best!;
      const row = `| ${input.name} | ${label[stage]} | ${b.packets} | ${b.cpuS.toFixed(2)} | ${rate(b.packets, b.cpuS)} | ${rate(b.packets, b.wallS)} | ${stage === 'flows' ? '-' : b.partials} | ${stage === 'rules' ? b.alerts : '-'} |`;
      lines.push(row);
      console.error(row);
    }
  }
  for (const n of notes) lines.push('', n);
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
