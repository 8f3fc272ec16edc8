import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { createKafka, ensureTopics, MAX_PACKET_PARTITIONS, topicMap } from '@netsentry/messaging';
import { PacketBatcher, type OutBatch } from './packets.batcher';
import { PacketsProducer } from './packets.producer';
import { HeartbeatsProducer } from './heartbeats.producer';
import { SensorCounters } from './sensor.counters';
import { ReplaySource, type ReplayResult } from './replay.source';
import { LiveSource } from './live.source';
import { RollingPcapWriter } from './rolling-pcap.writer';
import { canCapture, CAPTURE_PERMISSION_MESSAGE } from './capture.permissions';
import type { SensorConfig } from './config';

export const SENSOR_CONFIG = Symbol('SENSOR_CONFIG');

/** How long the last (`stopped`) heartbeat may take at shutdown, ms. */
const LAST_BEAT_MS = 2000;

/**
 * The sensor: a capture source (live or replay) → partitioned packet batches → Kafka, with
 * heartbeats. We use a kafkajs producer directly rather than the Nest ClientKafka: we pick the
 * partition of every batch ourselves (flow-hash buckets), attach envelope headers, need each
 * send's acknowledgement to release the replay reader (backpressure), and keep one send in
 * flight per partition to preserve order — none of which ClientKafka's emit() exposes.
 */
@Injectable()
export class SensorService implements OnApplicationShutdown {
  private readonly log = new Logger('sensor');
  readonly counters = new SensorCounters();
  private producer: Producer | null = null;
  private packets: PacketsProducer | null = null;
  private heartbeats: HeartbeatsProducer | null = null;
  private replay: ReplaySource | null = null;
  private live: LiveSource | null = null;
  private batcher: PacketBatcher | null = null;
  private pcap: RollingPcapWriter | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** When a graceful stop of the replay was asked for (Date.now()), else null. */
  private stopAt: number | null = null;
  private readonly stopAsked = new AbortController();

  constructor(@Inject(SENSOR_CONFIG) private readonly cfg: SensorConfig) {}

  /** Connects, creates the owned topics, and starts capturing. Returns an error message on failure. */
  async start(): Promise<{ ok: true } | { ok: false; message: string }> {
    const cfg = this.cfg;
    // Say it before anything else: without the capability nothing below can work.
    if (cfg.iface && !canCapture()) return { ok: false, message: CAPTURE_PERMISSION_MESSAGE };
    const topics = topicMap(cfg.topicSuffix);
    const kafka = createKafka({ brokers: cfg.brokers, clientId: `sensor-${cfg.sensorId}`, logLevel: cfg.logLevel });
    let parts: number;
    try {
      const r = await ensureTopics(kafka, [
        { topic: topics.packets, numPartitions: cfg.packetPartitions },
        { topic: topics.sensors, numPartitions: 1 },
        { topic: topics.deadletter, numPartitions: 1 },
      ]);
      parts = r.partitions[topics.packets] ?? cfg.packetPartitions;
      // Consumers refuse an envelope declaring more (ns-parts): say so now rather than be dead-lettered.
      if (parts > MAX_PACKET_PARTITIONS) return { ok: false, message: `${topics.packets} has ${parts} partitions; a sensor spreads packets over at most ${MAX_PACKET_PARTITIONS}` };
      this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 5 });
      await this.producer.connect();
    } catch (e) {
      return { ok: false, message: `cannot reach Kafka at ${cfg.brokers.join(',')}: ${(e as Error).message}` };
    }
    const source = cfg.replay ?? cfg.iface ?? '';
    this.packets = new PacketsProducer(this.producer, topics.packets, cfg.sensorId, parts, cfg.maxBufferedBytes, this.counters);
    // Live: the batcher's clock (this thread). Replay: the batcher is in the worker, so the clock
    // of what was published, which every batch carries.
    const packets = this.packets;
    this.heartbeats = new HeartbeatsProducer(this.producer, topics.sensors, cfg.sensorId, source, this.counters, () => this.batcher?.wmUs ?? packets.publishedWmUs);
    const heartbeats = this.heartbeats;
    // Once per outage, not per retry: why nothing is published, and when it is again. The
    // heartbeats say it meanwhile, then what they said before (e.g. the capture engine).
    let beforeFailing: string | undefined;
    packets.onFailing = (why) => {
      beforeFailing = heartbeats.message;
      heartbeats.message = why;
      this.log.warn(`${why}; ${cfg.replay ? 'the replay waits' : 'live capture drops what does not fit in SENSOR_MAX_BUFFERED_BYTES'}`);
    };
    packets.onRecovered = (n) => {
      heartbeats.message = packets.refusal ?? beforeFailing;
      this.log.log(`publishing to ${topics.packets} again after ${n} failed send${n === 1 ? '' : 's'}`);
    };
    packets.onRefused = (why) => {
      // Every heartbeat says so from now on: the operator must change a setting.
      heartbeats.message = why;
      this.log.error(why);
    };

    if (cfg.replay) {
      this.batcher = null;
      this.heartbeats.status = 'replaying';
      this.heartbeats.start(cfg.heartbeatMs);
      const replay = new ReplaySource(
        {
          file: cfg.replay,
          parts,
          batchPackets: cfg.batchPackets,
          batchFormat: cfg.batchFormat,
          batchDelayMs: cfg.batchDelayMs,
          pace: cfg.pace,
          maxBufferedKiB: Math.floor(cfg.maxBufferedBytes / 1024),
          stopGraceMs: cfg.stopDrainMs,
        },
        (b: OutBatch) => {
          this.counters.packetsSeen += b.packets;
          this.packets!.offer(b, false);
        },
      );
      this.packets.onAck = (kib) => replay.ack(kib);
      this.replay = replay;
      return { ok: true };
    }

    const batcher = new PacketBatcher(parts, cfg.batchPackets, (b) => this.packets!.offer(b, true), cfg.batchFormat);
    this.batcher = batcher;
    const live = new LiveSource(
      {
        iface: cfg.iface!,
        bpf: cfg.bpf,
        snaplen: cfg.snaplen,
        bufferBytes: cfg.bufferBytes,
        immediate: cfg.immediate,
        timeoutMs: cfg.captureTimeoutMs,
        engine: cfg.captureEngine,
      },
      batcher,
      this.counters,
      null,
    );
    const opened = live.open();
    if (!opened.ok) {
      this.heartbeats.status = 'error';
      this.heartbeats.message = opened.message;
      await this.heartbeats.beat();
      return { ok: false, message: opened.message };
    }
    if (cfg.pcapDir) {
      const pcap = new RollingPcapWriter({
        dir: cfg.pcapDir,
        prefix: cfg.sensorId,
        linkType: opened.linkType,
        snaplen: cfg.snaplen,
        rotateBytes: cfg.pcapRotateMB * 1024 * 1024,
        rotateMs: cfg.pcapRotateS * 1000,
        keep: cfg.pcapKeep,
      });
      this.pcap = pcap;
      live.onFrame = (f) => pcap.write(f);
    }
    this.live = live;
    this.heartbeats.status = 'capturing';
    if (opened.engine === 'cap') {
      this.heartbeats.message =
        (cfg.captureEngine === 'cap' ? 'capture engine cap (chosen)' : 'capture engine cap (the pcap_ring addon is not built: npm run build:capture -w @netsentry/sensor)') +
        ': kernel drops are ' +
        (cfg.bpf !== '' ? 'not counted with a BPF filter' : 'estimated from the interface counters');
      this.log.warn(this.heartbeats.message);
    }
    this.heartbeats.start(cfg.heartbeatMs);
    // Batches leave at least every batchDelayMs; a quiet interface still advances the clock.
    this.timers.push(
      setInterval(() => {
        const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
        if (Date.now() - live.lastPacketWallMs >= cfg.tickMs) {
          batcher.advanceTo(nowUs - cfg.tickMs * 1000);
          batcher.flushAll(0);
        } else batcher.flushAll(1_000_000);
        this.counters.kernelDropped = live.kernelDrops();
        this.counters.malformed = live.decodeCounters.damaged;
        this.heartbeats!.status = this.counters.bufferDropped > 0 || this.packets!.bufferedBytes > cfg.maxBufferedBytes / 2 ? 'degraded' : 'capturing';
      }, Math.min(cfg.batchDelayMs, cfg.tickMs)),
    );
    return { ok: true };
  }

  /**
   * Replay mode: runs to the end of the file (or to stopReplay()) and waits until everything is
   * published: `replayDrainMs` after the end of the file, what is left of `stopDrainMs` after a
   * stop. `drained` is false when something read was still unpublished then (the broker gone):
   * the caller must say so and fail, not report a finished replay. `stopped`: a stop was asked
   * for before everything was delivered.
   */
  async runReplay(): Promise<ReplayResult & { drained: boolean; stopped: boolean }> {
    if (!this.replay) throw new Error('not in replay mode');
    const r = await this.replay.run();
    this.counters.malformed = r.malformed;
    // Read, and dropped at the stop for want of room: seen, never published.
    this.counters.packetsSeen += r.dropped;
    this.counters.bufferDropped += r.dropped;
    let drained = this.stopAt === null && (await this.packets!.drain(this.cfg.replayDrainMs, this.stopAsked.signal));
    if (this.stopAt !== null) drained = await this.packets!.drain(Math.max(0, this.stopAt + this.cfg.stopDrainMs - Date.now()));
    this.log.log(`replayed ${r.frames} frames, ${r.packets} packets decoded, ${this.counters.published} published`);
    return { ...r, drained, stopped: this.stopAt !== null };
  }

  /** Packets in batches the broker refused for their size, and why the first was (see PacketsProducer). */
  get refused(): { packets: number; why: string | null } {
    return { packets: this.packets?.refusedPackets ?? 0, why: this.packets?.refusal ?? null };
  }

  /** The most bytes of batches that waited for the broker at once (at most `maxBufferedBytes` in replay). */
  get bufferedPeakBytes(): number {
    return this.packets?.bufferedPeakBytes ?? 0;
  }

  /**
   * Graceful stop of a replay (SIGTERM/SIGINT): the reader stops, what it read is flushed and
   * followed by the end-of-input mark on every partition (so aggregators end this sensor's flows
   * as at the end of the file), all within `stopDrainMs`; runReplay() then resolves.
   */
  stopReplay(): void {
    if (this.stopAt !== null) return;
    this.stopAt = Date.now();
    this.replay?.stop();
    this.stopAsked.abort();
  }

  /** False when the stop's drain ran out of time with batches still unacknowledged (live capture). */
  stopDrained = true;

  async onApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.replay?.stop();
    if (this.live) {
      this.live.close();
      this.counters.kernelDropped = this.live.kernelDrops();
      this.batcher?.end();
    }
    await this.pcap?.close();
    // Bounded: a replay has drained already (or given up), a live capture gets the stop grace.
    if (this.packets && !this.packets.gaveUp) this.stopDrained = await this.packets.drain(this.cfg.stopDrainMs);
    if (this.heartbeats) {
      this.heartbeats.stop();
      this.heartbeats.status = 'stopped';
      // With the broker gone the send would be retried for a long time: the stop must not wait.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.heartbeats.beat(), new Promise((r) => (timer = setTimeout(r, LAST_BEAT_MS)))]);
      clearTimeout(timer);
    }
    await this.producer?.disconnect().catch(() => undefined);
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ event: 'stopped', ...this.counters.snapshot(), cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
  }
}
