import { PacketRecord } from '@netsentry/packets';

/**
 * Per-packet counters behind the summary and the report's charts: packets and bytes by
 * protocol class over time, and the packet length distribution. Typed arrays only; the
 * time axis starts at 1 s buckets and doubles the bucket width (merging neighbours) when
 * a capture is longer than MAX_BUCKETS buckets, so memory is bounded whatever the span.
 */
export const PROTO_CLASSES = ['tcp', 'udp', 'icmp', 'arp', 'other'] as const;
export type ProtoClass = (typeof PROTO_CLASSES)[number];
const enum PC {
  TCP = 0,
  UDP = 1,
  ICMP = 2,
  ARP = 3,
  OTHER = 4,
}
const NPC = 5;
const MAX_BUCKETS = 1024;

/** Upper bounds (inclusive) of the packet length bins, in bytes on the wire. */
export const LENGTH_BINS = [64, 128, 256, 512, 1024, 1518, 9000, Infinity] as const;
export const LENGTH_BIN_LABELS = ['≤64', '65-128', '129-256', '257-512', '513-1024', '1025-1518', '1519-9000', '>9000'];

export interface TrafficSeries {
  /** Start of the first bucket, epoch seconds. */
  start: number;
  /** Bucket width in seconds. */
  bucketSeconds: number;
  /** Per protocol class, per bucket. */
  packets: Record<ProtoClass, number[]>;
  bytes: Record<ProtoClass, number[]>;
}

/** A TrafficCounters' state as plain data (it crosses from the analyze worker). */
export interface TrafficData {
  packets: number;
  bytes: number;
  packetsByProto: Float64Array;
  bytesByProto: Float64Array;
  lengthHist: Float64Array;
  firstTsUs: number;
  lastTsUs: number;
  t0Us: number;
  widthUs: number;
  nBuckets: number;
  pkts: Float64Array;
  byts: Float64Array;
}

export class TrafficCounters {
  packets = 0;
  bytes = 0;
  readonly packetsByProto = new Float64Array(NPC);
  readonly bytesByProto = new Float64Array(NPC);
  readonly lengthHist = new Float64Array(LENGTH_BINS.length);
  firstTsUs = -1;
  lastTsUs = -1;
  private t0Us = -1;
  private widthUs = 1_000_000;
  private nBuckets = 0;
  private readonly pkts = new Float64Array(NPC * MAX_BUCKETS);
  private readonly byts = new Float64Array(NPC * MAX_BUCKETS);

  constructor() {
    warmUp();
  }

  add(rec: PacketRecord): void {
    const len = rec.wireLen;
    const ts = rec.tsUs;
    let pc: PC;
    if (rec.l3 === 0x0806) pc = PC.ARP;
    else if (rec.proto === 6) pc = PC.TCP;
    else if (rec.proto === 17) pc = PC.UDP;
    else if (rec.proto === 1 || rec.proto === 58) pc = PC.ICMP;
    else pc = PC.OTHER;
    this.packets++;
    this.bytes += len;
    this.packetsByProto[pc]++;
    this.bytesByProto[pc] += len;
    let bin = 0;
    while (len > LENGTH_BINS[bin]) bin++;
    this.lengthHist[bin]++;
    if (this.firstTsUs < 0 || ts < this.firstTsUs) this.firstTsUs = ts;
    if (ts > this.lastTsUs) this.lastTsUs = ts;
    if (this.t0Us < 0) this.t0Us = ts - (ts % 1_000_000);
    let b = ts > this.t0Us ? Math.floor((ts - this.t0Us) / this.widthUs) : 0;
    while (b >= MAX_BUCKETS) {
      this.coarsen();
      b = Math.floor((ts - this.t0Us) / this.widthUs);
    }
    if (b >= this.nBuckets) this.nBuckets = b + 1;
    const i = pc * MAX_BUCKETS + b;
    this.pkts[i]++;
    this.byts[i] += len;
  }

  toData(): TrafficData {
    return {
      packets: this.packets, bytes: this.bytes, packetsByProto: this.packetsByProto, bytesByProto: this.bytesByProto,
      lengthHist: this.lengthHist, firstTsUs: this.firstTsUs, lastTsUs: this.lastTsUs, t0Us: this.t0Us,
      widthUs: this.widthUs, nBuckets: this.nBuckets, pkts: this.pkts, byts: this.byts,
    };
  }

  static fromData(d: TrafficData): TrafficCounters {
    const t = new TrafficCounters();
    t.packets = d.packets;
    t.bytes = d.bytes;
    t.packetsByProto.set(d.packetsByProto);
    t.bytesByProto.set(d.bytesByProto);
    t.lengthHist.set(d.lengthHist);
    t.firstTsUs = d.firstTsUs;
    t.lastTsUs = d.lastTsUs;
    t.t0Us = d.t0Us;
    t.widthUs = d.widthUs;
    t.nBuckets = d.nBuckets;
    t.pkts.set(d.pkts);
    t.byts.set(d.byts);
    return t;
  }

  /** Doubles the bucket width, merging pairs of buckets. */
  private coarsen(): void {
    for (let p = 0; p < NPC; p++) {
      const base = p * MAX_BUCKETS;
      for (let b = 0; b < MAX_BUCKETS / 2; b++) {
        this.pkts[base + b] = this.pkts[base + 2 * b] + this.pkts[base + 2 * b + 1];
        this.byts[base + b] = this.byts[base + 2 * b] + this.byts[base + 2 * b + 1];
      }
      this.pkts.fill(0, base + MAX_BUCKETS / 2, base + MAX_BUCKETS);
      this.byts.fill(0, base + MAX_BUCKETS / 2, base + MAX_BUCKETS);
    }
    this.widthUs *= 2;
    this.nBuckets = Math.ceil(this.nBuckets / 2);
  }

  series(): TrafficSeries {
    const packets = {} as Record<ProtoClass, number[]>;
    const bytes = {} as Record<ProtoClass, number[]>;
    PROTO_CLASSES.forEach((name, p) => {
      packets[name] = Array.from(this.pkts.subarray(p * MAX_BUCKETS, p * MAX_BUCKETS + this.nBuckets));
      bytes[name] = Array.from(this.byts.subarray(p * MAX_BUCKETS, p * MAX_BUCKETS + this.nBuckets));
    });
    return { start: this.t0Us < 0 ? 0 : this.t0Us / 1e6, bucketSeconds: this.widthUs / 1e6, packets, bytes };
  }

  byProtocol(): Record<ProtoClass, { packets: number; bytes: number }> {
    const out = {} as Record<ProtoClass, { packets: number; bytes: number }>;
    PROTO_CLASSES.forEach((name, p) => (out[name] = { packets: this.packetsByProto[p], bytes: this.bytesByProto[p] }));
    return out;
  }

  lengthDistribution(): Array<{ bin: string; packets: number }> {
    return LENGTH_BIN_LABELS.map((bin, i) => ({ bin, packets: this.lengthHist[i] }));
  }
}

let warmedUp = false;

/**
 * Type feedback for every branch of add() before V8 optimises it (once per process, on a scratch
 * instance): a fresh process otherwise threw the optimised code away at the first ICMPv6 and
 * the first ARP packet of the 1 M-packet bench capture and compiled it again.
 */
function warmUp(): void {
  if (warmedUp) return;
  warmedUp = true;
  const t = new TrafficCounters();
  const r = new PacketRecord();
  const kinds = [[4, 6], [4, 17], [4, 1], [6, 58], [0x0806, 0], [4, 47]];
  const lengths = [60, 100, 200, 400, 1000, 1500, 9000, 9500];
  let ts = 1_700_000_000_000_000;
  // 40 s apart: more than MAX_BUCKETS one-second buckets, so coarsen() runs too.
  for (let i = 0; i < 64; i++)
    for (const [l3, proto] of kinds) {
      r.l3 = l3 as PacketRecord['l3'];
      r.proto = proto;
      r.wireLen = lengths[i & 7];
      r.tsUs = ts;
      t.add(r);
      ts += 40_000_000;
    }
}
