import { hostname } from 'node:os';
import { Command } from 'commander';
import { z } from 'zod';
import { SensorId } from '@netsentry/contracts';
import { MAX_PACKET_PARTITIONS, MAX_REQUEST_BYTES } from '@netsentry/messaging';
import { BATCH_HEADER, BATCH_MAX_PACKETS, ROW_BYTES } from '@netsentry/packets';

/**
 * Most packets one batch message may hold: its largest encoding (format 1, ROW_BYTES a packet)
 * must fit one produce request under the broker's default max.message.bytes (1 MiB). A bigger
 * batch is refused by the broker on every retry and holds up its partition for good.
 */
export const MAX_BATCH_PACKETS = Math.min(BATCH_MAX_PACKETS, Math.floor((MAX_REQUEST_BYTES - BATCH_HEADER) / ROW_BYTES));

/**
 * All configuration of the sensor, read once at start from the command line and the
 * environment (command line wins), validated with zod; a bad value stops the process with a
 * message naming the setting.
 */
export const SensorConfig = z
  .object({
    /** Sensor id; defaults to the host name. */
    sensorId: SensorId,
    brokers: z.array(z.string().regex(/^[^:,\s]+:\d{1,5}$/, 'host:port')).min(1),
    /** Appended to every topic name (tests and side-by-side deployments on one broker). */
    topicSuffix: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
    /** Partitions of the packets topic when this sensor creates it. */
    packetPartitions: z.number().int().min(1).max(MAX_PACKET_PARTITIONS).default(4),
    /** Live interface, or a capture file to replay: exactly one. */
    iface: z.string().min(1).optional(),
    replay: z.string().min(1).optional(),
    /** Replay pace: `max`, `realtime`, or a speed factor (2 = twice as fast as recorded). */
    pace: z.union([z.literal('max'), z.literal('realtime'), z.number().positive().max(1e6)]).default('max'),
    bpf: z.string().default(''),
    /**
     * Bytes kept of each live packet (wire lengths and header-declared lengths are kept whole).
     * Headers only by default: flows and rules need nothing past them, and in immediate mode
     * (TPACKET_V2) every kernel ring slot is snaplen-sized (65535 on a link with offloads, such
     * as a veth, makes ~64 KiB slots; 256 makes ~200× more slots). Set 65535 for whole packets in
     * the rolling pcap output. The cap fallback always captures 65535 and truncates here.
     */
    snaplen: z.number().int().min(64).max(262144).default(256),
    /**
     * libpcap kernel buffer, bytes: what absorbs the sensor being descheduled on a busy machine.
     * Slots: bufferBytes / (snaplen + ~100) in immediate mode; packets are packed by size otherwise.
     */
    bufferBytes: z.number().int().min(1 << 16).max(2 ** 31).default(256 << 20),
    /**
     * Live capture engine: `pcap-ring` (services/sensor/native, built by `npm run build:capture
     * -w @netsentry/sensor`: batched, kernel drop counters) or `cap` (one call per packet, drops
     * estimated). Unset: pcap-ring when built, else cap.
     */
    captureEngine: z.enum(['pcap-ring', 'cap']).optional(),
    /**
     * libpcap immediate mode (pcap-ring): packets are delivered as they come. Off: the kernel
     * hands over blocks (TPACKET_V3) when full or after `captureTimeoutMs`: fewer wake-ups, up to
     * that much latency.
     */
    immediate: z.boolean().default(false),
    captureTimeoutMs: z.number().int().min(1).max(10000).default(50),
    /** Packets per batch message (at most MAX_BATCH_PACKETS, so that a batch fits one broker message) and the longest a packet waits in a batch, ms. */
    batchPackets: z.number().int().min(1).max(MAX_BATCH_PACKETS).default(4096),
    /**
     * Packet batch format written to the packets topic: 2 (compact, default) or 1, which
     * aggregators from before format 2 read. Upgrade aggregators first, then sensors; set 1
     * meanwhile on sensors that feed old aggregators.
     */
    batchFormat: z.union([z.literal(1), z.literal(2)]).default(2),
    batchDelayMs: z.number().int().min(1).max(10000).default(20),
    /** Bytes of encoded batches that may wait for the broker before new ones are dropped (live) or reading pauses (replay). */
    maxBufferedBytes: z.number().int().min(1 << 16).max(2 ** 31).default(64 << 20),
    heartbeatMs: z.number().int().min(100).max(600000).default(5000),
    /**
     * Replay: how long the end of the file waits for Kafka to take every packet still buffered
     * before the replay fails (exit 1, naming how many were published of how many seen), ms.
     */
    replayDrainMs: z.number().int().min(0).max(3600000).default(60000),
    /**
     * Graceful stop (SIGTERM/SIGINT): how long what is buffered may take to reach Kafka before
     * the sensor gives up on it (replay: exit 1 naming the packets not delivered), ms. Below
     * Docker's 10 s stop timeout, with room for the last heartbeat.
     */
    stopDrainMs: z.number().int().min(0).max(600000).default(5000),
    /** Live mode: a watermark tick is sent when no packet came for this long (ms). */
    tickMs: z.number().int().min(50).max(60000).default(500),
    /** Rolling pcap output: directory (off when unset), rotation size (MB) and age (s), files kept. */
    pcapDir: z.string().min(1).optional(),
    pcapRotateMB: z.number().positive().max(1e6).default(100),
    pcapRotateS: z.number().positive().max(86400 * 30).default(3600),
    pcapKeep: z.number().int().min(1).max(100000).default(24),
    logLevel: z.enum(['nothing', 'error', 'warn', 'info', 'debug']).default('error'),
  })
  .refine((c) => (c.iface ? 1 : 0) + (c.replay ? 1 : 0) === 1, { message: 'give exactly one of --iface (live) or --replay FILE' });
export type SensorConfig = z.infer<typeof SensorConfig>;

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : (v as unknown as number); // zod reports the non-number
}

function pace(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  if (v === 'max' || v === 'realtime') return v;
  return num(v);
}

export type ConfigResult = { ok: true; config: SensorConfig } | { ok: false; message: string };

/** Reads argv + env; never throws. */
export function readSensorConfig(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const cmd = new Command('sensor')
    .option('-i, --iface <name>', 'live capture interface (needs root or CAP_NET_RAW)')
    .option('-r, --replay <file>', 'capture file to replay (pcap, pcapng, .gz)')
    .option('--pace <pace>', 'replay pace: max | realtime | <factor>')
    .option('--sensor-id <id>', 'sensor id (default: host name)')
    .option('--bpf <filter>', 'BPF filter for live capture')
    .option('--snaplen <n>')
    .option('--buffer-bytes <n>')
    .option('--pcap-dir <dir>', 'write rolling pcap files here')
    .option('--partitions <n>', 'partitions of the packets topic when created')
    .exitOverride()
    .allowUnknownOption(false);
  try {
    cmd.parse(argv);
  } catch (e) {
    return { ok: false, message: `sensor: ${(e as Error).message}` };
  }
  const o = cmd.opts<Record<string, string | undefined>>();
  const raw = {
    sensorId: o.sensorId ?? env.SENSOR_ID ?? hostname().replace(/[^A-Za-z0-9._:-]/g, '-'),
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim()).filter(Boolean),
    topicSuffix: env.NETSENTRY_TOPIC_SUFFIX,
    packetPartitions: num(o.partitions ?? env.PACKETS_PARTITIONS),
    iface: o.iface ?? env.SENSOR_IFACE,
    replay: o.replay ?? env.SENSOR_REPLAY,
    pace: pace(o.pace ?? env.SENSOR_PACE),
    bpf: o.bpf ?? env.SENSOR_BPF,
    snaplen: num(o.snaplen ?? env.SENSOR_SNAPLEN),
    bufferBytes: num(o.bufferBytes ?? env.SENSOR_BUFFER_BYTES),
    captureEngine: env.SENSOR_CAPTURE_ENGINE || undefined,
    immediate: env.SENSOR_IMMEDIATE === undefined || env.SENSOR_IMMEDIATE === '' ? undefined : env.SENSOR_IMMEDIATE === '1' || env.SENSOR_IMMEDIATE === 'true' ? true : env.SENSOR_IMMEDIATE === '0' || env.SENSOR_IMMEDIATE === 'false' ? false : env.SENSOR_IMMEDIATE,
    captureTimeoutMs: num(env.SENSOR_CAPTURE_TIMEOUT_MS),
    batchPackets: num(env.SENSOR_BATCH_PACKETS),
    batchFormat: num(env.SENSOR_BATCH_FORMAT),
    batchDelayMs: num(env.SENSOR_BATCH_DELAY_MS),
    maxBufferedBytes: num(env.SENSOR_MAX_BUFFERED_BYTES),
    heartbeatMs: num(env.SENSOR_HEARTBEAT_MS),
    replayDrainMs: num(env.SENSOR_REPLAY_DRAIN_MS),
    stopDrainMs: num(env.SENSOR_STOP_DRAIN_MS),
    tickMs: num(env.SENSOR_TICK_MS),
    pcapDir: o.pcapDir ?? env.SENSOR_PCAP_DIR,
    pcapRotateMB: num(env.SENSOR_PCAP_ROTATE_MB),
    pcapRotateS: num(env.SENSOR_PCAP_ROTATE_S),
    pcapKeep: num(env.SENSOR_PCAP_KEEP),
    logLevel: env.KAFKA_LOG_LEVEL,
  };
  const r = SensorConfig.safeParse(raw);
  if (r.success) return { ok: true, config: r.data };
  return {
    ok: false,
    message: 'sensor: invalid configuration: ' + r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; '),
  };
}
