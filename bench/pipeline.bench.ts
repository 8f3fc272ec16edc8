/**
 * Pipeline benchmarks (services, real broker and database, this machine):
 *  1. end to end: sensor replay at max pace → netsentry.packets.v1 → aggregator → netsentry.flows.v1,
 *     packets/s from the first packet published to the last flow consumed, and no packet lost;
 *  2. detector: flows/s stored in PostgreSQL from the flow topic, with scoring and rules on;
 *     (`cluster`, not run by default: the same through BENCH_DETECTOR_INSTANCES detectors of one
 *     group, default 2, the flows produced while they run);
 *  3. live capture: tcpreplay --pps onto a veth at rising rates, the highest rate the sensor
 *     takes with < 0.1% of packets lost in the kernel (root, tcpreplay; skipped otherwise).
 * Prints markdown tables. BENCH_PIPELINE_PARTS=… chooses the parts (default e2e,detector,live; also cluster).
 * BENCH_DETECTOR_FORMAT=batch (default: flow batches, what the aggregator sends) or json (one
 * FlowV1 per message, what other producers may send) chooses the detector input's encoding.
 * BENCH_DETECTOR_COPIES (default 3) sets how many copies of the capture's flows it reads;
 * BENCH_DETECTOR_NODE_OPTIONS is the detector's NODE_OPTIONS (e.g. `--require <file>` of a file
 * calling `v8.setFlagsFromString('--trace-gc')`: NODE_OPTIONS refuses --trace-gc itself; the
 * table then counts its collections); BENCH_DETECTOR_LOG=<file> keeps the detector's output.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { Partitioners, type Message } from 'kafkajs';
import { Client } from 'pg';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainModel } from '@netsentry/detection';
import { encodeFlowBatches, type FlowV1 } from '@netsentry/contracts';
import { FlowTable } from '@netsentry/flows';
import { readCaptureFile } from '@netsentry/packets';
import { readFlowsUntilEnd, sendChunked, startService, topicMap, watermarkMessages, type ServiceProcess } from '@netsentry/messaging';
import { activateModel, migrateDatabase, openDataSource, saveModel } from '@netsentry/storage';
import { createNetnsPair, createTestDatabase, deleteTopics, kafkaBrokers, SHARED_PCAPS, testKafka, uniqueName } from '@netsentry/testing';
import { bigCaptureMeta, ensureBigCapture } from './fixtures';

const SYN_FLOOD = join(SHARED_PCAPS, 'stopddos/pkt.TCP.synflood.spoofed.pcap');
const parts = (process.env.BENCH_PIPELINE_PARTS ?? 'e2e,detector,live').split(',');
const brokers = kafkaBrokers().join(',');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function lastCounters(p: ServiceProcess, event = 'counters'): Record<string, number> {
  const l = [...p.lines].reverse().find((x) => x.includes(`"event":"${event}"`));
  return l ? (JSON.parse(l) as Record<string, number>) : {};
}

async function waitGroup(group: string, members: number): Promise<void> {
  const admin = testKafka('bench-admin').admin();
  await admin.connect();
  try {
    for (let i = 0; i < 240; i++) {
      const g = (await admin.describeGroups([group])).groups[0];
      if (g && g.state === 'Stable' && g.members.length === members && g.members.every((m) => m.memberAssignment.length > 0)) return;
      await sleep(250);
    }
    throw new Error(`group ${group} not stable`);
  } finally {
    await admin.disconnect();
  }
}

/** Earliest CreateTime of the first message of every partition of a topic (ms). */
async function firstMessageTime(topic: string): Promise<number> {
  const kafka = testKafka('bench-first');
  const c = kafka.consumer({ groupId: uniqueName('bench-first'), maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let min = Infinity;
  const seen = new Set<number>();
  const admin = kafka.admin();
  await admin.connect();
  const n = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length;
  await admin.disconnect();
  await new Promise<void>((res) => {
    const t = setTimeout(res, 20000);
    void c.run({
      eachBatch: async ({ batch }) => {
        const m = batch.messages[0];
        if (m && !seen.has(batch.partition)) {
          seen.add(batch.partition);
          min = Math.min(min, Number(m.timestamp));
        }
        if (seen.size === n) {
          clearTimeout(t);
          res();
        }
      },
    });
  });
  await c.disconnect();
  return min;
}

interface E2E {
  suffix: string;
  sensor: string;
  packets: number;
  flows: number;
}

/** The broker's process id when it runs on this machine from infra/kafka/start.sh (its pid file). */
function brokerPid(): number | undefined {
  try {
    const port = kafkaBrokers()[0].split(':')[1];
    const pid = Number(readFileSync(join(__dirname, `../.cache/kafka/data-${port}/kafka.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function endToEnd(file: string, expectPackets: number): Promise<E2E> {
  const suffix = '.' + uniqueName('benchpipe');
  const sensor = 'bench-sensor';
  const group = uniqueName('bench-agg');
  const env = { KAFKA_BROKERS: brokers, NETSENTRY_TOPIC_SUFFIX: suffix, AGGREGATOR_GROUP_ID: group, PACKETS_PARTITIONS: '4', AGGREGATOR_LOG_EVERY_MS: '1000' };
  const agg = startService('aggregator', [], env);
  await agg.waitFor(/"event":"started"/, 60000);
  await waitGroup(group, 1);
  const bpid = brokerPid();
  const aggCpu0 = procCpuMs(agg.proc.pid);
  const brokerCpu0 = procCpuMs(bpid);
  const t0 = Date.now();
  const s = startService('sensor', ['--replay', file, '--sensor-id', sensor, '--pace', 'max'], env);
  let sensorStartCpu = 0;
  void s.waitFor(/"event":"started"/, 900000).then(() => (sensorStartCpu = procCpuMs(s.proc.pid)), () => undefined);
  const reading = readFlowsUntilEnd(testKafka('bench-flows'), topicMap(suffix).flows, sensor, 900000);
  const done = JSON.parse(await s.waitFor(/"event":"replay_done"/, 900000)) as Record<string, number>;
  const tSensorDone = Date.now();
  const r = await reading;
  const aggCpuRun = procCpuMs(agg.proc.pid) - aggCpu0;
  const brokerCpuRun = procCpuMs(bpid) - brokerCpu0;
  await sleep(1500);
  const ac = lastCounters(agg);
  await agg.stop();
  const tFirst = await firstMessageTime(topicMap(suffix).packets);
  const secs = (r.lastFlowAtMs - tFirst) / 1000;
  console.log('| measure | value |');
  console.log('|---|---|');
  console.log(`| capture | ${file.split('/').pop()} (${fmt(expectPackets)} packets) |`);
  console.log(`| packets published by the sensor | ${fmt(done.published)} (dropped ${done.bufferDropped}, publish errors ${done.publishErrors}) |`);
  console.log(`| packets consumed by the aggregator | ${fmt(ac.packets ?? 0)} |`);
  console.log(`| flows consumed from netsentry.flows.v1 | ${fmt(r.flows.length)} (${fmt(new Set(r.flows.map((f) => f.id)).size)} distinct ids, ${r.invalid} failing FlowV1) |`);
  console.log(`| sensor replay wall time (start to all acked) | ${((tSensorDone - t0) / 1000).toFixed(2)} s |`);
  console.log(`| first packet published → last flow consumed | ${secs.toFixed(2)} s |`);
  console.log(`| **end-to-end rate** | **${fmt(done.published / secs)} packets/s** |`);
  console.log(`| packets lost | ${expectPackets - (ac.packets ?? 0)} |`);
  const cpuS = ((done.cpuMs ?? 0) + (ac.cpuMs ?? 0)) / 1000;
  console.log(`| CPU time: sensor ${((done.cpuMs ?? 0) / 1000).toFixed(2)} s + aggregator ${((ac.cpuMs ?? 0) / 1000).toFixed(2)} s (incl. start-up) | ${fmt(done.published / cpuS)} packets per CPU-second of the two services |`);
  // Without start-up: the sensor from its "started" line to the end of the replay, the aggregator
  // and the broker from the sensor's start to the last flow read (the broker is shared: other
  // clients' requests in that time count too).
  const sensorRun = (done.cpuMs ?? 0) - sensorStartCpu;
  const runS = (sensorRun + aggCpuRun + brokerCpuRun) / 1000;
  const brokerText = bpid ? `${(brokerCpuRun / 1000).toFixed(2)} s` : 'n/a (not started by infra/kafka/start.sh)';
  console.log(`| CPU time during the run: sensor ${(sensorRun / 1000).toFixed(2)} s + aggregator ${(aggCpuRun / 1000).toFixed(2)} s + broker ${brokerText} | ${fmt(done.published / runS)} packets per CPU-second of the ${bpid ? 'three' : 'two services'} |`);
  console.log(`| load average during the run (2 cores, shared) | ${loadavg()[0].toFixed(1)} |`);
  return { suffix, sensor, packets: done.published, flows: r.flows.length };
}

/** Process ids of the PostgreSQL processes `where` picks from pg_stat_activity (seen from a connection to `url`). */
async function pgPids(url: string, where: string): Promise<number[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE ${where}`);
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

/** CPU time (ms) so far of the PostgreSQL backends connected to the database of `url` (from /proc; same machine). */
async function backendCpuMs(url: string): Promise<number> {
  const pids = await pgPids(url, 'datname = current_database() AND pid <> pg_backend_pid()');
  return pids.reduce((ms, pid) => ms + procCpuMs(pid), 0);
}

/** Process ids of PostgreSQL's WAL writer, checkpointer and background writer. */
function pgBackgroundPids(url: string): Promise<number[]> {
  return pgPids(url, `backend_type IN ('walwriter', 'checkpointer', 'background writer')`);
}

/** Flow batches as the aggregator sends them: per partition of the srcIp key (kafkajs default partitioner), 512 flows each. */
function batchMessages(flows: FlowV1[], partitions: number): Message[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const meta = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  const groups: FlowV1[][] = Array.from({ length: partitions }, () => []);
  for (const f of flows) groups[partitioner({ topic: '', partitionMetadata: meta, message: { key: f.srcIp, value: null } })].push(f);
  const out: Message[] = [];
  groups.forEach((g, partition) => {
    const { batches, rest } = encodeFlowBatches(g, 512);
    if (rest.length) throw new Error(`${rest.length} flows do not fit a flow batch`);
    for (const value of batches) out.push({ partition, value });
  });
  return out;
}

/** The flows of the SYN-flood capture (sensor `sensor`), the detector benches' input. */
async function synFloodFlows(sensor: string): Promise<FlowV1[]> {
  const base: FlowV1[] = [];
  const table = new FlowTable({ sensor }, (f) => base.push(f));
  await readCaptureFile(SYN_FLOOD, (r) => void table.add(r));
  table.flush();
  return base;
}

/** Fresh flows and stats topics of 4 partitions. */
async function createFlowTopics(kafka: ReturnType<typeof testKafka>, topics: ReturnType<typeof topicMap>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [topics.flows, topics.stats].map((topic) => ({ topic, numPartitions: 4, replicationFactor: 1 })), waitForLeaders: true });
  await admin.disconnect();
}

/** A model trained on 20 000 of `flows`, stored and activated in the database at `url` (so every flow is scored). */
async function activateBenchModel(url: string, flows: FlowV1[]): Promise<void> {
  const model = trainModel(flows.slice(0, 20000), { seed: 1 });
  const ds = await openDataSource({ url, poolSize: 1 });
  await saveModel(ds, {
    id: model.id, sensorGroup: 'default', params: {}, featureStats: {}, quality: {},
    blob: Buffer.from(JSON.stringify(model.toJSON())), trainStart: model.trainingWindow.start, trainEnd: model.trainingWindow.end,
  });
  await activateModel(ds, model.id);
  await ds.destroy();
}

/** The end-of-input watermark of the bench sensor, after the last of `flows`. */
function endOfInput(sensor: string, flows: FlowV1[]): { sensor: string; source: number; sources: number; wmUs: number; eos: boolean } {
  return { sensor, source: 0, sources: 1, wmUs: Math.ceil(Math.max(...flows.map((f) => f.end)) * 1e6), eos: true };
}

/**
 * Loads `copies` × the flows of a real capture (ids made distinct per copy) onto a fresh flows
 * topic, closed by end-of-input watermarks, then measures a detector storing them with scoring
 * (an active model) and rules on: flows/s from the partitions being assigned to the last flow stored.
 */
async function detector(copies: number, format: string): Promise<void> {
  const suffix = '.' + uniqueName('benchdet');
  const topics = topicMap(suffix);
  const sensor = 'bench-det';
  const base = await synFloodFlows(sensor);
  const db = await createTestDatabase({ migrate: migrateDatabase });
  try {
    const kafka = testKafka('bench-det-load');
    await createFlowTopics(kafka, topics);
    const producer = kafka.producer();
    await producer.connect();
    let n = 0;
    for (let k = 0; k < copies; k++) {
      const copy = base.map((f) => ({ ...f, id: `${f.id}${k}` }));
      const msgs = format === 'json' ? copy.map((f) => ({ key: f.srcIp, value: JSON.stringify(f) })) : batchMessages(copy, 4);
      for (let i = 0; i < msgs.length; i += 2000) await sendChunked(producer, [{ topic: topics.flows, messages: msgs.slice(i, i + 2000) }]);
      n += copy.length;
    }
    const wm = endOfInput(sensor, base);
    for (const t of [topics.flows, topics.stats]) await sendChunked(producer, [{ topic: t, messages: watermarkMessages(wm, 4) }]);
    await producer.disconnect();
    await activateBenchModel(db.url, base);
    const det = startService('detector', [], {
      KAFKA_BROKERS: brokers, NETSENTRY_TOPIC_SUFFIX: suffix, DETECTOR_GROUP_ID: uniqueName('bench-det'), DATABASE_URL: db.url, DETECTOR_LOG_EVERY_MS: '250',
      ...(process.env.BENCH_DETECTOR_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_DETECTOR_NODE_OPTIONS } : {}),
    });
    await det.waitFor(/scoring with model/, 60000);
    // The clock starts when the detector is given its partitions (it fetches right after): every
    // flow is counted, the first fetch included. (Starting at the first stored batch counted the
    // flows of the other partitions' first batches, decoded and scored before the clock started.)
    await det.waitFor(/"event":"assigned"/, 300000);
    const first: Record<string, number> = { flows: 0, cpuMs: procCpuMs(det.proc.pid) };
    const gcLines0 = det.lines.length;
    const bpid = brokerPid();
    const bgPids = await pgBackgroundPids(db.url);
    const brokerCpu0 = procCpuMs(bpid);
    const bgCpu0 = bgPids.reduce((a, p) => a + procCpuMs(p), 0);
    const detMain0 = procCpuMs(det.proc.pid, det.proc.pid);
    const detAll0 = procCpuMs(det.proc.pid);
    const t0 = Date.now();
    const end = await det.waitFor(new RegExp(`"event":"sensor_end","sensor":"${sensor}"`), 900000);
    const t1 = Date.now();
    const detMain = procCpuMs(det.proc.pid, det.proc.pid) - detMain0;
    const detOther = procCpuMs(det.proc.pid) - detAll0 - detMain;
    const brokerCpuRun = procCpuMs(bpid) - brokerCpu0;
    const bgCpuRun = bgPids.reduce((a, p) => a + procCpuMs(p), 0) - bgCpu0;
    const pgCpuMs = await backendCpuMs(db.url);
    const c = JSON.parse(end) as Record<string, number>;
    // When the detector traces its collections (--trace-gc): those between the two counters lines.
    const gcLines = det.lines.slice(gcLines0);
    const scavenges = gcLines.filter((l) => /: Scavenge/.test(l)).length;
    const fullGcs = gcLines.filter((l) => /: Mark-Compact/.test(l)).length;
    if (process.env.BENCH_DETECTOR_LOG) writeFileSync(process.env.BENCH_DETECTOR_LOG, det.lines.join('\n'));
    const peakRssMb = procPeakRssMb(det.proc.pid);
    await det.stop();
    const secs = (t1 - t0) / 1000;
    const stored = c.flows - (first.flows ?? 0);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| input | ${fmt(n)} real flows (${copies} copies of the ${fmt(base.length)} flows of pkt.TCP.synflood.spoofed.pcap, ids made distinct), ${format === 'json' ? 'one JSON FlowV1 per message' : 'flow batches of 512 (binary, columnar)'} |`);
    console.log(`| flows stored (COPY into flows; on a conflict COPY into staging + INSERT … ON CONFLICT DO NOTHING) | ${fmt(c.flows)} |`);
    console.log(`| anomalies stored (model active, every flow scored) | ${fmt(c.anomalies)} |`);
    console.log(`| alerts (new / updates) | ${c.alertsNew} / ${c.alertsUpdated} |`);
    console.log(`| wall time, partitions assigned → last flow stored | ${secs.toFixed(2)} s |`);
    console.log(`| **detector rate** | **${fmt(stored / secs)} flows/s stored** |`);
    console.log(`| detector CPU time (incl. start-up) | ${((c.cpuMs ?? 0) / 1000).toFixed(2)} s → ${fmt(c.flows / ((c.cpuMs ?? 1) / 1000))} flows per CPU-second |`);
    const runCpuS = ((c.cpuMs ?? 0) - (first.cpuMs ?? 0)) / 1000;
    console.log(`| detector CPU time, partitions assigned → last flow stored (${fmt(stored)} flows) | ${runCpuS.toFixed(2)} s → ${fmt(stored / runCpuS)} flows per CPU-second |`);
    console.log(`| detector CPU, partitions assigned → last flow stored, by thread (from /proc): main (JavaScript) thread; the others (V8's GC and compiler helpers, libuv) | ${(detMain / 1000).toFixed(2)} s (${(detMain * 1000 / stored).toFixed(1)} µs/flow); ${(detOther / 1000).toFixed(2)} s (${(detOther * 1000 / stored).toFixed(1)} µs/flow) |`);
    console.log(`| PostgreSQL CPU time of the detector's connections (backends only; WAL writer, checkpointer not counted) | ${(pgCpuMs / 1000).toFixed(2)} s → ${fmt(c.flows / (pgCpuMs / 1000))} flows per CPU-second |`);
    console.log(`| CPU time, partitions assigned → last flow stored: Kafka broker; PostgreSQL's WAL writer, checkpointer and background writer | ${bpid ? `${(brokerCpuRun / 1000).toFixed(2)} s (${(brokerCpuRun * 1000 / stored).toFixed(1)} µs/flow)` : 'broker not local'}; ${(bgCpuRun / 1000).toFixed(2)} s (${(bgCpuRun * 1000 / stored).toFixed(1)} µs/flow) |`);
    if (scavenges + fullGcs) console.log(`| detector collections, partitions assigned → last flow stored (--trace-gc) | ${scavenges} scavenges, ${fullGcs} mark-compacts |`);
    console.log(`| detector peak RSS | ${peakRssMb.toFixed(0)} MB |`);
    console.log(`| load average during the run (2 cores, shared) | ${loadavg()[0].toFixed(1)} |`);
  } finally {
    await db.drop();
    await deleteTopics(Object.values(topics)).catch(() => undefined);
  }
}

/**
 * The same flows through `instances` detectors of one consumer group on this machine (the flows
 * topic has 4 partitions). The detectors join first and the flows are produced once the group is
 * stable (so no rebalance replays part of them), so this clock runs from the first flow produced
 * to the last stored, and the bench process producing them shares the cores.
 */
async function detectorCluster(copies: number, instances: number): Promise<void> {
  const suffix = '.' + uniqueName('benchdc');
  const topics = topicMap(suffix);
  const sensor = 'bench-det';
  const base = await synFloodFlows(sensor);
  const db = await createTestDatabase({ migrate: migrateDatabase });
  const dets: ServiceProcess[] = [];
  try {
    const kafka = testKafka('bench-detc-load');
    await createFlowTopics(kafka, topics);
    await activateBenchModel(db.url, base);
    const msgs: Message[] = [];
    for (let k = 0; k < copies; k++) msgs.push(...batchMessages(base.map((f) => ({ ...f, id: `${f.id}${k}` })), 4));
    const n = base.length * copies;
    const wm = endOfInput(sensor, base);
    const group = uniqueName('bench-detc');
    for (let k = 0; k < instances; k++) {
      dets.push(startService('detector', [], {
        KAFKA_BROKERS: brokers, NETSENTRY_TOPIC_SUFFIX: suffix, DETECTOR_GROUP_ID: group, DETECTOR_INSTANCE_ID: `bench-detc-${k}`, DATABASE_URL: db.url, DETECTOR_LOG_EVERY_MS: '250',
      }));
    }
    for (const d of dets) await d.waitFor(/scoring with model/, 60000);
    await waitGroup(group, instances);
    const producer = kafka.producer();
    await producer.connect();
    const bpid = brokerPid();
    const cpu0 = dets.map((d) => procCpuMs(d.proc.pid));
    const broker0 = procCpuMs(bpid);
    const self0 = process.cpuUsage();
    const t0 = Date.now();
    for (let i = 0; i < msgs.length; i += 2000) await sendChunked(producer, [{ topic: topics.flows, messages: msgs.slice(i, i + 2000) }]);
    for (const t of [topics.flows, topics.stats]) await sendChunked(producer, [{ topic: t, messages: watermarkMessages(wm, 4) }]);
    const produced = Date.now();
    const selfCpu = process.cpuUsage(self0);
    await producer.disconnect();
    const ends = await Promise.all(dets.map((d) => d.waitFor(new RegExp(`"event":"sensor_end","sensor":"${sensor}"`), 900000)));
    const t1 = Date.now();
    const detCpu = dets.reduce((a, d, k) => a + procCpuMs(d.proc.pid) - cpu0[k], 0);
    const brokerCpu = procCpuMs(bpid) - broker0;
    const pgCpuMs = await backendCpuMs(db.url);
    const rss = dets.map((d) => procPeakRssMb(d.proc.pid));
    const cs = ends.map((e) => JSON.parse(e) as Record<string, number>);
    const stored = cs.reduce((a, c) => a + c.flows, 0);
    const rows = Number((await (async () => {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      try {
        return (await c.query('SELECT count(*)::int AS n FROM flows')).rows[0].n;
      } finally {
        await c.end();
      }
    })()));
    const secs = (t1 - t0) / 1000;
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| input | ${fmt(n)} real flows (${copies} copies of the ${fmt(base.length)} flows of pkt.TCP.synflood.spoofed.pcap, ids made distinct), flow batches of 512, produced once the group was stable |`);
    console.log(`| detector instances (one consumer group, 4 partitions) | ${instances}; flows each: ${cs.map((c) => fmt(c.flows)).join(', ')} |`);
    console.log(`| rows in flows / anomalies stored | ${fmt(rows)} / ${fmt(cs.reduce((a, c) => a + c.anomalies, 0))} |`);
    console.log(`| wall time, first flow produced → last flow stored (producing took ${((produced - t0) / 1000).toFixed(2)} s) | ${secs.toFixed(2)} s |`);
    console.log(`| **detector rate** | **${fmt(rows / secs)} flows/s stored** |`);
    console.log(`| CPU per stored flow: detectors (all threads); PostgreSQL backends; broker; the bench producing | ${(detCpu * 1000 / stored).toFixed(1)} µs; ${(pgCpuMs * 1000 / stored).toFixed(1)} µs; ${(brokerCpu * 1000 / stored).toFixed(1)} µs; ${(((selfCpu.user + selfCpu.system) / 1000) * 1000 / stored).toFixed(1)} µs |`);
    console.log(`| detector peak RSS | ${rss.map((x) => `${x.toFixed(0)} MB`).join(', ')} |`);
    console.log(`| load average during the run (2 cores, shared) | ${loadavg()[0].toFixed(1)} |`);
  } finally {
    await Promise.all(dets.map((d) => d.stop()));
    await db.drop();
    await deleteTopics(Object.values(topics)).catch(() => undefined);
  }
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Peak resident set size of a process so far (VmHWM), MB; 0 when gone. */
function procPeakRssMb(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) of a process (or of its thread `tid`) so far, ms, from /proc (clock ticks of 10 ms); 0 when gone. */
function procCpuMs(pid: number | undefined, tid?: number): number {
  try {
    const f = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return 0;
  }
}

async function live(file: string): Promise<void> {
  if (!(process.getuid?.() === 0 && ['ip', 'ss', 'tcpreplay', 'socat', 'tcpdump'].every(have))) {
    console.log('_live capture rate skipped: needs root, ip, ss, tcpreplay, socat, tcpdump_');
    return;
  }
  // Namespace and veth names are unique per run; BENCH_NETNS_PREFIX tags them (whose they are on a shared machine).
  const net = createNetnsPair({ prefix: process.env.BENCH_NETNS_PREFIX ?? 'bench' });
  const { nsA, nsB, vethA: vA, vethB: vB } = net;
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-livebench-'));
  const suffix = '.' + uniqueName('benchlive');
  try {
    const broker = await net.bridgeBroker(nsA);
    // tcpreplay: --preload-pcap (no file reads while sending) and --pps-multi (a burst per timer
    // check) so that the offered rate is reached without a busy core; override with BENCH_TCPREPLAY_OPTS.
    const trOpts = (process.env.BENCH_TCPREPLAY_OPTS ?? '--preload-pcap --pps-multi=64').split(' ').filter(Boolean);
    // BENCH_LIVE_PRIO runs tcpreplay through a priority command, e.g. `chrt -f 10` (real-time,
    // bounded by the kernel's RT throttling): on a machine shared with other work the offered rate
    // is otherwise not reached (tcpreplay sleeps between bursts and wakes late). The sensor keeps
    // its normal priority unless BENCH_LIVE_SENSOR_PRIO says otherwise: a real-time sensor was seen
    // running its hot path in baseline (unoptimized) code at ~4× the CPU, V8's background compiler
    // threads likely starved, and it starves the broker. Both are said in the heading when used.
    const prio = process.env.BENCH_LIVE_PRIO ?? '';
    const nice = prio.split(' ').filter(Boolean);
    const sensorPrio = process.env.BENCH_LIVE_SENSOR_PRIO ?? '';
    const sensorNice = sensorPrio.split(' ').filter(Boolean);
    // A 250 k-packet slice, looped: preloading it costs ~1/4 of preloading the whole capture.
    const SLICE = 250_000;
    const slice = join(dir, 'slice.pcap');
    execFileSync('tcpdump', ['-r', file, '-c', String(SLICE), '-w', slice], { stdio: 'ignore' });
    console.log(`tcpreplay options: ${trOpts.join(' ') || '(none)'}, the first ${fmt(SLICE)} packets looped; sensor engine: ${process.env.SENSOR_CAPTURE_ENGINE ?? 'default'}, snaplen ${process.env.SENSOR_SNAPLEN ?? 'default'}, immediate ${process.env.SENSOR_IMMEDIATE ?? 'default'}${prio ? `; tcpreplay runs with \`${prio}\`` : ''}${sensorPrio ? `; the sensor with \`${sensorPrio}\`` : ''}\n`);
    console.log('| offered rate (tcpreplay --pps) | achieved | sent | seen by the sensor | lost (sent − seen) | loss | kernel drops (heartbeat counter) | published | sensor CPU while sending + draining | tcpreplay CPU | load avg |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    let best = 0;
    for (const pps of (process.env.BENCH_LIVE_RATES ?? '50000,100000,150000,200000,250000,300000,400000,500000').split(',').map(Number)) {
      const n = Math.min(pps * 4, 1_000_000);
      const s = startService('sensor', ['--iface', vA, '--sensor-id', `bench-live-${pps}`], {
        KAFKA_BROKERS: broker, NETSENTRY_TOPIC_SUFFIX: suffix, PACKETS_PARTITIONS: '4', SENSOR_BUFFER_BYTES: String(Number(process.env.BENCH_LIVE_BUFFER_MB ?? 512) << 20), SENSOR_LOG_EVERY_MS: '250',
      }, { prefix: [...sensorNice, 'ip', 'netns', 'exec', nsA] });
      await s.waitFor(/"event":"started"/, 60000);
      await sleep(1000);
      const cpu0 = procCpuMs(s.proc.pid);
      const out = spawnSync(nice[0] ?? 'ip', [...nice.slice(1), ...(nice.length ? ['ip'] : []), 'netns', 'exec', nsB, '/usr/bin/time', '-f', 'tcpreplay-cpu %U %S', 'tcpreplay', '-i', vB, `--pps=${pps}`, `--limit=${n}`, `--loop=${Math.ceil(n / SLICE)}`, ...trOpts, slice], { encoding: 'utf8', timeout: 180000 });
      const trCpu = /tcpreplay-cpu ([\d.]+) ([\d.]+)/.exec(out.stderr ?? '');
      const m = /Actual: (\d+) packets/.exec(out.stdout ?? '');
      const sent = m ? Number(m[1]) : n;
      const rated = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(out.stdout ?? '');
      const actualPps = rated ? Number(rated[1]) : 0;
      // Let the sensor drain the kernel ring: wait until its count stops moving (at most 30 s).
      let prev = -1;
      for (let i = 0; i < 60; i++) {
        await sleep(500);
        const now = lastCounters(s).packetsSeen ?? 0;
        if (now === prev && now > 0) break;
        prev = now;
      }
      const sensorCpuMs = procCpuMs(s.proc.pid) - cpu0;
      await s.stop('SIGTERM');
      const c = lastCounters(s, 'stopped');
      const seen = c.packetsSeen ?? 0;
      const lost = Math.max(0, sent - seen);
      const loss = lost / sent;
      const trCpuS = trCpu ? Number(trCpu[1]) + Number(trCpu[2]) : NaN;
      console.log(
        `| ${fmt(pps)} | ${fmt(actualPps)} | ${fmt(sent)} | ${fmt(seen)} | ${fmt(lost)} | ${(loss * 100).toFixed(3)}% | ${fmt(c.kernelDropped ?? 0)} | ${fmt(c.published ?? 0)} ` +
          `| ${(sensorCpuMs / 1000).toFixed(2)} s (${seen ? ((sensorCpuMs * 1000) / seen).toFixed(2) : '-'} µs/packet) | ${trCpuS.toFixed(2)} s | ${loadavg()[0].toFixed(1)} |`,
      );
      if (loss < 0.001) best = Math.max(best, actualPps);
      else break;
    }
    console.log(`\n**Highest achieved rate with < 0.1% loss: ${best ? fmt(best) + ' packets/s' : 'none of the tested rates'}**`);
  } finally {
    net.destroy();
    rmSync(dir, { recursive: true, force: true });
    await deleteTopics(Object.values(topicMap(suffix))).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const file = await ensureBigCapture({ log: (s) => console.error(s) });
  const meta = bigCaptureMeta();
  const packets = meta?.packets ?? 0;
  let e: E2E | null = null;
  try {
    if (parts.includes('e2e')) {
      console.log('### End to end: sensor replay (max pace) → packets → aggregator → flows\n');
      e = await endToEnd(file, packets);
      console.log('');
    }
    if (parts.includes('detector')) {
      console.log('### Detector: flows topic → scoring + rules → PostgreSQL\n');
      await detector(Number(process.env.BENCH_DETECTOR_COPIES ?? 3), process.env.BENCH_DETECTOR_FORMAT ?? 'batch');
      console.log('');
    }
    if (parts.includes('cluster')) {
      const instances = Number(process.env.BENCH_DETECTOR_INSTANCES ?? 2);
      console.log(`### Detector cluster: ${instances} instance(s) on this machine, flows produced while they run\n`);
      await detectorCluster(Number(process.env.BENCH_DETECTOR_COPIES ?? 3), instances);
      console.log('');
    }
    if (parts.includes('live')) {
      console.log('### Live capture: tcpreplay onto a veth, sensor on the peer\n');
      await live(file);
    }
  } finally {
    if (e) await deleteTopics(Object.values(topicMap(e.suffix))).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
