/**
 * Flows benchmark: read + decode + flow table + full feature set on the >= 1 M-packet capture of
 * real namespace traffic (bench/fixtures.ts), in packets/s and peak memory, beside softflowd,
 * argus | ra and tshark -z conv,tcp on the same file in the same run; plus the memory of a
 * 1 048 576-distinct-source-port SYN flood (synthetic PacketRecords) at two table bounds.
 * Prints markdown; figures are recorded in docs/bench/flows.md.
 *
 * Every measurement is its own process pinned to one core (taskset -c 1 when present). Our code
 * runs as plain JavaScript compiled once with swc (into bench/data/, gitignored), so the peak RSS
 * is that of the pipeline, not of the TypeScript loader.
 *
 * BENCH_FLOWS_AB=<git revision>: also compiles libs/flows/src as of that revision and runs the two
 * flow tables alternately (BENCH_FLOWS_AB_PAIRS pairs, default 8) in the same minutes, so that a
 * before/after comparison is not a comparison of two different loads on a shared machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { transformFileSync } from '@swc/core';
import { BENCH_DATA, ensureBigCapture } from './fixtures';

const ROOT = resolve(__dirname, '..');
const REPEATS = Number(process.env.BENCH_FLOWS_REPEATS ?? 3);
const LIBS = ['packets', 'flows', 'contracts'];

/**
 * Compiles the libs to CommonJS under `out/<lib>` with `@netsentry/<lib>` shims in out/node_modules.
 * `sources` replaces a lib's source folder (the A/B baseline's flows).
 */
function compileLibs(out: string, sources: Record<string, string> = {}): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const lib of LIBS) {
    const src = sources[lib] ?? join(ROOT, 'libs', lib, 'src');
    for (const file of walk(src)) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.endsWith('.d.ts') || file.includes('/testing/')) continue;
      const { code } = transformFileSync(file, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: false,
      });
      const dest = join(out, lib, relative(src, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, code);
    }
    const shim = join(out, 'node_modules', '@netsentry', lib);
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, 'index.js'), `module.exports = require(${JSON.stringify(join(out, lib, 'index.js'))});\n`);
  }
}

const RUNNER = String.raw`
const { readCaptureFile, PacketRecord } = require('@netsentry/packets');
const { FlowTable } = require('@netsentry/flows');
const [mode, arg] = process.argv.slice(2);
(async () => {
  let flows = 0, acc = 0;
  const onFlow = (f) => { flows++; acc += f.fwdPackets + f.bwdPackets + (f.features['Flow IAT Std'] > 0 ? 1 : 0); };
  const t0 = process.hrtime.bigint();
  let out;
  if (mode === 'read') {
    const s = await readCaptureFile(arg, (r) => { acc = (acc + r.srcPort + r.dstPort + r.tcpFlags + r.src[3]) | 0; });
    out = { packets: s.packets, decoded: s.decoded };
  } else if (mode === 'flows') {
    const table = new FlowTable({ sensor: 'bench' }, onFlow);
    const s = await readCaptureFile(arg, (r) => { table.add(r); });
    table.flush();
    out = { packets: s.packets, decoded: s.decoded, flows, counters: table.counters, tableMb: table.memoryBytes / 1e6 };
  } else {
    // SYN flood: 2^20 distinct (source, port) pairs, one SYN each, into a table bounded at arg flows.
    const maxFlows = Number(arg);
    const table = new FlowTable({ sensor: 'bench', maxFlows }, onFlow);
    const rec = new PacketRecord();
    rec.l3 = 4; rec.proto = 6; rec.tcpFlags = 2; rec.wireLen = 60; rec.l4HdrLen = 20; rec.ttl = 64;
    rec.src[2] = 0xffff; rec.dst[2] = 0xffff; rec.dst[3] = 0x0a0a0a0a; rec.dstPort = 80;
    const N = 1 << 20;
    let peakTable = 0, peakHeap = 0;
    for (let i = 0; i < N; i++) {
      const x = Math.imul(i, 0x9e3b5) & (N - 1);
      rec.tsUs = 1700000000000000 + i * 10;
      rec.src[3] = (0xc6120000 | (x >>> 16)) >>> 0;
      rec.srcPort = x & 0xffff;
      table.add(rec);
      if ((i & 0xffff) === 0xffff) {
        peakTable = Math.max(peakTable, table.memoryBytes);
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      }
    }
    const live = table.size;
    table.flush();
    out = { packets: N, flows, live, counters: table.counters, tableMb: peakTable / 1e6, heapMb: peakHeap / 1e6 };
  }
  out.ms = Number(process.hrtime.bigint() - t0) / 1e6;
  out.acc = acc;
  out.maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(out));
})();
`;

/**
 * Runs a command (pinned to one core) and returns wall time, CPU time (user + system of the whole
 * process tree) and peak RSS. CPU time is the fair figure on a shared, loaded machine: wall time
 * includes waiting for a core.
 */
const RUSAGE_PY = `
import json, resource, subprocess, sys, time
# python3 may be a pyenv shim (a shell script) whose own children were reaped before it exec'd
# python: their CPU is already in RUSAGE_CHILDREN (~0.05 s here), so count from this point.
u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
ms = (time.perf_counter() - t) * 1000
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'ms': ms, 'cpuMs': (u.ru_utime + u.ru_stime - u0.ru_utime - u0.ru_stime) * 1000, 'rc': r.returncode, 'maxRssKb': u.ru_maxrss, 'out': r.stdout[-4000:].decode('utf8', 'replace'), 'err': r.stderr[-4000:].decode('utf8', 'replace'), 'lines': r.stdout.count(b'\\n')}))
`;

interface Measured { ms: number; cpuMs: number; maxRssKb: number; rc: number; out: string; err: string; lines: number }

const haveTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function measure(cmd: string[], cwd?: string): Measured {
  const pinned = haveTaskset ? ['taskset', '-c', '1', ...cmd] : cmd;
  const r = spawnSync('python3', ['-c', RUSAGE_PY, ...pinned], { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`measuring ${cmd.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measured;
}

interface Row { what: string; packets: number; ms: number; cpuMs: number; rssMb: number; note: string }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface RunOut { packets: number; decoded?: number; flows: number; ms: number; cpuMs: number; maxRssKb: number; tableMb?: number; heapMb?: number; live?: number; counters?: Record<string, number> }

function ours(dir: string, mode: string, arg: string, repeats: number): RunOut[] {
  const runs: RunOut[] = [];
  for (let i = 0; i < repeats; i++) {
    const m = measure(['node', join(dir, 'run.js'), mode, arg], dir);
    if (m.rc !== 0) throw new Error(`${mode} run failed: ${m.err}`);
    // The pipeline's own clock (from the first read to the last flow) and the process's CPU time.
    runs.push({ ...(JSON.parse(m.out) as RunOut), cpuMs: m.cpuMs });
  }
  return runs;
}

async function main(): Promise<void> {
  const file = await ensureBigCapture();
  const size = statSync(file).size;
  const dir = join(BENCH_DATA, `.build-flows-${process.pid}`);
  const rows: Row[] = [];
  const flood: string[] = [];
  const ab: string[] = [];
  let flowsPps = 0, flowsRss = 0, softflowdPps = 0, nFlows = 0, x4Pps = 0, softflowdX4Pps = 0, marginalPps = 0, softflowdMarginalPps = 0;
  try {
    compileLibs(dir);
    writeFileSync(join(dir, 'run.js'), RUNNER);

    const read = ours(dir, 'read', file, REPEATS);
    const packets = read[0].packets;
    const bestRead = read.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    const full = ours(dir, 'flows', file, REPEATS);
    const best = full.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    nFlows = best.flows;
    flowsPps = packets / best.cpuMs / 1000;
    flowsRss = Math.max(...full.map((r) => r.maxRssKb)) / 1024;
    rows.push({ what: '**NetSentry read + decode + FlowTable + all features**', packets, ms: best.ms, cpuMs: best.cpuMs, rssMb: flowsRss,
      note: `best of ${REPEATS} by CPU (median ${(packets / median(full.map((r) => r.cpuMs)) / 1e3).toFixed(2)} M/s); ${best.flows.toLocaleString('en-US')} flows, ${FEATURES} features each; table arrays ${best.tableMb?.toFixed(1)} MB; CPU includes node start-up` });
    rows.push({ what: 'NetSentry read + decode only (baseline)', packets, ms: bestRead.ms, cpuMs: bestRead.cpuMs, rssMb: Math.max(...read.map((r) => r.maxRssKb)) / 1024,
      note: `best of ${REPEATS}; flow table + features add ${((best.cpuMs - bestRead.cpuMs) / packets * 1e6).toFixed(0)} ns CPU per packet` });

    const abRev = process.env.BENCH_FLOWS_AB;
    if (abRev) ab.push(...abCompare(dir, abRev, file, packets));

    // softflowd: best of REPEATS by CPU, like ours.
    const softflowd = (input: string): Measured | null => {
      if (!have('softflowd')) return null;
      let bestSf: Measured | null = null;
      for (let i = 0; i < REPEATS; i++) {
        // -c none: without it softflowd 1.1.0 -r blocks on its control socket after the first block.
        const sf = measure(['softflowd', '-r', input, '-n', '127.0.0.1:9', '-d', '-c', 'none', '-p', join(dir, 'softflowd.pid')]);
        if (sf.rc !== 0) throw new Error(`softflowd failed: ${sf.err}`);
        if (bestSf === null || sf.cpuMs < bestSf.cpuMs) bestSf = sf;
      }
      return bestSf;
    };
    const sf = softflowd(file);
    if (sf) {
      const m = /Per-protocol statistics[\s\S]*/.exec(sf.out + sf.err);
      const sfPackets = m ? [...m[0].matchAll(/\)\s*:\s*\d+\s+(\d+)/g)].reduce((n, x) => n + Number(x[1]), 0) : 0;
      softflowdPps = packets / sf.cpuMs / 1000;
      rows.push({ what: 'softflowd -r FILE -n 127.0.0.1:9 -c none (NetFlow v5 to the discard port)', packets, ms: sf.ms, cpuMs: sf.cpuMs, rssMb: sf.maxRssKb / 1024,
        note: `best of ${REPEATS} by CPU; default 8192-flow table, counters only; it reports ${sfPackets.toLocaleString('en-US')} packets in flows` });
    } else rows.push({ what: 'softflowd', packets: 0, ms: 0, cpuMs: 0, rssMb: 0, note: 'not installed (apt softflowd)' });

    // A longer input amortises node's start-up and the JIT for both sides: the file 4 times over.
    const x4 = join(dir, 'x4.pcap');
    const merge = spawnSync('mergecap', ['-a', '-F', 'pcap', '-w', x4, file, file, file, file], { stdio: 'ignore', timeout: 10 * 60_000 });
    if (merge.status === 0) {
      const runs4 = ours(dir, 'flows', x4, REPEATS);
      const b4 = runs4.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
      x4Pps = b4.packets / b4.cpuMs / 1000;
      // The CPU the three extra copies cost, once the process runs and the code is compiled:
      // the rate of a long capture or a live link, for both tools alike.
      marginalPps = (b4.packets - packets) / (b4.cpuMs - best.cpuMs) / 1000;
      rows.push({ what: '**NetSentry read + decode + FlowTable + all features, the file ×4 (mergecap -a)**', packets: b4.packets, ms: b4.ms, cpuMs: b4.cpuMs, rssMb: Math.max(...runs4.map((r) => r.maxRssKb)) / 1024,
        note: `best of ${REPEATS} by CPU, whole process (node start-up and JIT included); ${(statSync(x4).size / 1e6).toFixed(0)} MB; ${b4.flows.toLocaleString('en-US')} flows; marginal rate (CPU of ×4 − CPU of ×1 over the 3 extra copies): ${marginalPps.toFixed(2)} M/s` });
      const sf4 = softflowd(x4);
      if (sf4 && sf) {
        softflowdX4Pps = b4.packets / sf4.cpuMs / 1000;
        softflowdMarginalPps = (b4.packets - packets) / (sf4.cpuMs - sf.cpuMs) / 1000;
        rows.push({ what: 'softflowd, the file ×4', packets: b4.packets, ms: sf4.ms, cpuMs: sf4.cpuMs, rssMb: sf4.maxRssKb / 1024,
          note: `best of ${REPEATS} by CPU; marginal rate ${softflowdMarginalPps.toFixed(2)} M/s` });
      }
      rmSync(x4, { force: true });
    }

    if (have('argus') && have('ra')) {
      const ar = measure(['sh', '-c', `argus -r '${file}' -w - | ra -r - -n > /dev/null`]);
      if (ar.rc !== 0) throw new Error(`argus | ra failed: ${ar.err}`);
      rows.push({ what: 'argus -r FILE -w - \\| ra', packets, ms: ar.ms, cpuMs: ar.cpuMs, rssMb: ar.maxRssKb / 1024, note: 'one run; CPU of both processes; peak RSS of the larger' });
    } else rows.push({ what: 'argus | ra', packets: 0, ms: 0, cpuMs: 0, rssMb: 0, note: 'not installed (apt argus-server argus-client)' });

    if (have('tshark')) {
      const ts = measure(['tshark', '-n', '-r', file, '-q', '-z', 'conv,tcp']);
      if (ts.rc !== 0) throw new Error(`tshark failed: ${ts.err}`);
      rows.push({ what: 'tshark -q -z conv,tcp', packets, ms: ts.ms, cpuMs: ts.cpuMs, rssMb: ts.maxRssKb / 1024, note: 'one run; TCP conversations only, no features' });
    }

    for (const bound of [1 << 20, 65536]) {
      const [r] = ours(dir, 'synflood', String(bound), 1);
      flood.push(`| ${bound.toLocaleString('en-US')} | ${r.packets.toLocaleString('en-US')} | ${r.counters?.peakFlows.toLocaleString('en-US')} | ${r.counters?.evicted.toLocaleString('en-US')} | ${r.tableMb?.toFixed(0)} | ${r.heapMb?.toFixed(0)} | ${(r.maxRssKb / 1024).toFixed(0)} | ${(r.packets / r.cpuMs / 1000).toFixed(2)} M |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Input: \`${relative(ROOT, file)}\`, ${rows[0].packets.toLocaleString('en-US')} packets, ${(size / 1e6).toFixed(1)} MB (real namespace traffic, bench/fixtures.ts), ${nFlows.toLocaleString('en-US')} flows. One core each (taskset -c 1).`);
  console.log('');
  console.log('| pipeline | packets | CPU (s) | packets per CPU-second | wall (s) | peak RSS (MB) | note |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    if (r.packets === 0) { console.log(`| ${r.what} | | | | | | ${r.note} |`); continue; }
    console.log(`| ${r.what} | ${r.packets.toLocaleString('en-US')} | ${(r.cpuMs / 1000).toFixed(2)} | ${(r.packets / r.cpuMs / 1000).toFixed(2)} M | ${(r.ms / 1000).toFixed(2)} | ${r.rssMb.toFixed(0)} | ${r.note} |`);
  }
  console.log('');
  console.log(`Load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores. Wall: for NetSentry the pipeline's own clock (first read to last flow, excluding node start-up), for the others the whole process; wall includes waiting for a core. CPU: whole process (for NetSentry also start-up and V8 compiler threads).`);
  console.log('');
  console.log('SYN flood, 1 048 576 distinct (source address, source port) pairs, one SYN each (synthetic PacketRecords, no file I/O):');
  console.log('');
  console.log('| maxFlows | packets | peak live flows | evicted | table arrays (MB) | peak JS heap (MB) | peak RSS (MB) | packets per CPU-s |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const l of flood) console.log(l);
  console.log('');
  if (ab.length) {
    console.log(ab.join('\n'));
    console.log('');
  }
  const vs = (ours: number, theirs: number): string => (theirs > 0 ? `${ours > theirs ? 'ahead of' : 'behind'} softflowd (${theirs.toFixed(2)} M)` : 'softflowd not run');
  console.log('Targets (packets per CPU-second of one core; >= 2.5 M with the full feature set, ahead of softflowd in the same run, peak memory < 200 MB):');
  console.log(`- 1 M-packet file, whole process: ${flowsPps.toFixed(2)} M (${flowsPps >= 2.5 ? 'met' : 'NOT met'}), ${vs(flowsPps, softflowdPps)};`);
  console.log(`- the file ×4, whole process: ${x4Pps > 0 ? `${x4Pps.toFixed(2)} M (${x4Pps >= 2.5 ? 'met' : 'NOT met'}), ${vs(x4Pps, softflowdX4Pps)}` : 'not run (mergecap missing)'};`);
  console.log(`- marginal rate (the 3 extra copies of the ×4 run): ${marginalPps > 0 ? `${marginalPps.toFixed(2)} M (${marginalPps >= 2.5 ? 'met' : 'NOT met'}), ${vs(marginalPps, softflowdMarginalPps)}` : 'not run'};`);
  console.log(`- peak memory: ${flowsRss.toFixed(0)} MB (${flowsRss < 200 ? 'met' : 'NOT met'}).`);
}

const FEATURES = 88;

/**
 * Paired comparison: the flow table as of `rev` against the working tree, cold processes
 * alternating on the same core. Prints median and best CPU of each and the read-only baseline.
 */
function abCompare(dir: string, rev: string, file: string, packets: number): string[] {
  const pairs = Number(process.env.BENCH_FLOWS_AB_PAIRS ?? 8);
  const base = join(dir, 'ab');
  const src = join(base, 'src');
  mkdirSync(src, { recursive: true });
  const tar = spawnSync('sh', ['-c', `git -C '${ROOT}' archive '${rev}' libs/flows/src | tar -x -C '${src}'`], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`BENCH_FLOWS_AB: cannot read libs/flows/src at ${rev}: ${tar.stderr}`);
  const built = join(base, 'build');
  compileLibs(built, { flows: join(src, 'libs', 'flows', 'src') });
  writeFileSync(join(built, 'run.js'), RUNNER);
  const cpu: Record<'base' | 'tree' | 'read', number[]> = { base: [], tree: [], read: [] };
  const load0 = loadavg()[0];
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first, so neither always follows the other.
    const order: ['base' | 'tree', string][] = i % 2 === 0 ? [['base', built], ['tree', dir]] : [['tree', dir], ['base', built]];
    for (const [k, d] of order) cpu[k].push(ours(d, 'flows', file, 1)[0].cpuMs);
    if (i % 2 === 0) cpu.read.push(ours(dir, 'read', file, 1)[0].cpuMs);
  }
  const row = (name: string, xs: number[]): string =>
    `| ${name} | ${xs.length} | ${(median(xs) / 1000).toFixed(3)} | ${(Math.min(...xs) / 1000).toFixed(3)} | ${(packets / median(xs) / 1e3).toFixed(2)} M | ${(packets / Math.min(...xs) / 1e3).toFixed(2)} M |`;
  const flowNs = (xs: number[]): string => ((median(xs) - median(cpu.read)) / packets * 1e6).toFixed(0);
  return [
    `A/B, flow table at \`${rev}\` against the working tree (cold processes, alternating; load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}):`,
    '',
    '| pipeline | runs | CPU median (s) | CPU best (s) | packets per CPU-s (median) | (best) |',
    '|---|---:|---:|---:|---:|---:|',
    row(`read + decode + flows, ${rev}`, cpu.base),
    row('read + decode + flows, working tree', cpu.tree),
    row('read + decode only', cpu.read),
    '',
    `Flow table + features over read + decode (medians): ${flowNs(cpu.base)} ns per packet at ${rev}, ${flowNs(cpu.tree)} ns in the working tree.`,
  ];
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
