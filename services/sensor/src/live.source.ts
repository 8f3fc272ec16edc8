import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeCounters, decodeFrame, PacketRecord, RawFrame, warmUpDecoder } from '@netsentry/packets';
import type { PacketBatcher } from './packets.batcher';
import type { SensorCounters } from './sensor.counters';
import { canCapture, CAPTURE_PERMISSION_MESSAGE } from './capture.permissions';

/** services/sensor/native/pcap_ring.c: libpcap with one JS call per batch of packets, and pcap_stats. */
interface PcapRingHandle {
  open(
    device: string,
    filter: string,
    snaplen: number,
    bufferBytes: number,
    immediate: boolean,
    timeoutMs: number,
    ring: Buffer,
    onBatch: (count: number, bytes: number) => void,
    maxPerWake: number,
  ): number;
  /** [received, dropped by the kernel, dropped by the interface]: u32 counters that wrap; -1 when closed. */
  stats(): number[];
  close(): boolean;
}

/** The `cap` module (fallback when the addon is not built): one JS call per packet, no pcap_stats. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
}

/** Where `npm run build:capture -w @netsentry/sensor` (node-gyp) puts the addon. */
export const PCAP_RING_ADDON = join(__dirname, '..', 'native', 'build', 'Release', 'pcap_ring.node');

/** cap names link types; the decoder wants LINKTYPE_* numbers. */
const CAP_LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, LINKTYPE_LINUX_SLL: 113, RAW: 101 };

/** DLT_* (pcap_datalink) → LINKTYPE_*: equal except DLT_RAW (12 or 14 by platform) → 101. */
function linkTypeOfDlt(dlt: number): number {
  switch (dlt) {
    case 0: case 1: case 113: case 276:
      return dlt;
    case 12: case 14: case 101:
      return 101;
    default:
      return -1;
  }
}

/** Bytes of the ring the addon fills between two calls into JavaScript. */
const RING_BYTES = 4 << 20;
/** Packets taken per readable event at most, so timers and the Kafka client run between bursts. */
const MAX_PER_WAKE = 16384;
const REC_HDR = 16;
const TWO32 = 2 ** 32;

/**
 * Reads the records pcap_ring.c leaves in the ring Buffer (native endianness, 4-byte aligned):
 * `u32 ts_sec | u32 ts_usec | u32 caplen | u32 wirelen | caplen bytes | pad to 4`, decodes each
 * into one reused record and hands it to the batcher. Bounds are checked against `bytes` and the
 * Buffer, so a damaged ring ends the loop early instead of reading past the data; never throws.
 */
export class RingDecoder {
  /** The ring the addon fills (4-byte aligned: Buffer.alloc of this size is not pooled). */
  readonly buf: Buffer;
  private readonly u32: Uint32Array;
  private readonly rec = new PacketRecord();
  private readonly frame = new RawFrame();
  /** LINKTYPE_* of the records (known once the device is open). */
  linkType = -1;

  constructor(
    bytes: number,
    readonly decodeCounters: DecodeCounters = new DecodeCounters(),
  ) {
    this.buf = Buffer.alloc(Math.max(4096, (bytes + 3) & ~3));
    this.u32 = new Uint32Array(this.buf.buffer, this.buf.byteOffset, this.buf.length >>> 2);
    this.frame.buf = this.buf;
  }

  /** Decodes up to `count` records from `buf[0, bytes)`; returns how many were read. */
  decode(count: number, bytes: number, batcher: PacketBatcher, onFrame: ((f: RawFrame) => void) | null): number {
    const u32 = this.u32;
    const buf = this.buf;
    const lt = this.linkType;
    const rec = this.rec;
    const end = bytes <= buf.length ? bytes : buf.length;
    let off = 0;
    let n = 0;
    for (; n < count && off + REC_HDR <= end; n++) {
      const w = off >>> 2;
      const tsUs = u32[w] * 1_000_000 + u32[w + 1];
      const capLen = u32[w + 2];
      const wireLen = u32[w + 3];
      const data = off + REC_HDR;
      if (data + capLen > end) break;
      off = data + ((capLen + 3) & ~3);
      if (onFrame) {
        const f = this.frame;
        f.linkType = lt;
        f.tsUs = tsUs;
        f.off = data;
        f.capLen = capLen;
        f.wireLen = wireLen;
        onFrame(f);
      }
      const err = decodeFrame(lt, buf, data, capLen, wireLen, tsUs, rec);
      if (err !== 0) this.decodeCounters.add(err);
      else batcher.add(rec);
    }
    return n;
  }
}

export type OpenResult =
  | { ok: true; linkType: number; engine: 'pcap-ring' | 'cap' }
  | { ok: false; code: 'CAPTURE.PERMISSION' | 'CAPTURE.OPEN' | 'CAPTURE.LINK_TYPE'; message: string };

export interface LiveOptions {
  iface: string;
  bpf: string;
  snaplen: number;
  bufferBytes: number;
  /** libpcap immediate mode (a wake-up per packet when idle) rather than blocks delivered every `timeoutMs`. */
  immediate?: boolean;
  timeoutMs?: number;
  /** Force the `cap` fallback (tests and benchmarks comparing the two). */
  engine?: 'pcap-ring' | 'cap';
}

/**
 * Live capture. Preferred engine: the pcap_ring addon (services/sensor/native), which copies
 * packets into a ring Buffer and calls `onBatch` once per wake-up; the loop below decodes the
 * records into one reusable record and hands it to the batcher: no allocation, no promise and
 * no native→JS transition per packet. Packets carry the kernel timestamp and the wire length,
 * the snaplen is honoured, and kernel drops are pcap_stats' real count (PACKET_STATISTICS).
 *
 * Fallback when the addon is not built: `cap` (one JS call per packet, snaplen forced to 65535,
 * wall-clock stamps, no pcap_stats): kernel drops are then *estimated* from the interface
 * counters (exact only without a BPF filter; with one the estimate is 0 and the heartbeat says so).
 */
export class LiveSource {
  private ringHandle: PcapRingHandle | null = null;
  private cap: CapHandle | null = null;
  private ring: RingDecoder | null = null;
  /** cap's per-packet buffer (fallback engine). */
  private buf: Buffer = Buffer.alloc(0);
  private readonly rec = new PacketRecord();
  readonly decodeCounters = new DecodeCounters();
  private readonly frame = new RawFrame();
  private baseIfPackets = -1;
  private lastDropRaw = 0;
  private drops = 0;
  lastPacketWallMs = 0;
  linkType = -1;
  engine: 'pcap-ring' | 'cap' | null = null;

  constructor(
    private readonly opts: LiveOptions,
    private readonly batcher: PacketBatcher,
    private readonly counters: SensorCounters,
    /** Called with every captured frame before decoding (rolling pcap output). */
    public onFrame: ((f: RawFrame) => void) | null,
  ) {}

  /** True when kernel drops are counted by the kernel rather than estimated. */
  get kernelDropsExact(): boolean {
    return this.engine === 'pcap-ring';
  }

  open(): OpenResult {
    if (!canCapture()) return { ok: false, code: 'CAPTURE.PERMISSION', message: CAPTURE_PERMISSION_MESSAGE };
    // Before traffic arrives: a link whose first minutes are one kind of packet would otherwise
    // have the decoders recompiled when the other kinds appear.
    warmUpDecoder();
    let addon: { PcapRing: new () => PcapRingHandle } | null = null;
    if (this.opts.engine !== 'cap') {
      try {
        addon = require(PCAP_RING_ADDON) as { PcapRing: new () => PcapRingHandle };
      } catch {
        addon = null; // not built: fall back to cap below
      }
    }
    return addon ? this.openRing(new addon.PcapRing()) : this.openCap();
  }

  private openError(e: unknown): OpenResult {
    const msg = (e as Error).message;
    if (/permi|not permitted|EPERM/i.test(msg)) return { ok: false, code: 'CAPTURE.PERMISSION', message: `${CAPTURE_PERMISSION_MESSAGE} (${msg})` };
    return { ok: false, code: 'CAPTURE.OPEN', message: `cannot capture on ${this.opts.iface}: ${msg}` };
  }

  private openRing(h: PcapRingHandle): OpenResult {
    const snap = this.opts.snaplen;
    const ring = new RingDecoder(Math.max(RING_BYTES, REC_HDR + snap + 4), this.decodeCounters);
    let dlt: number;
    try {
      dlt = h.open(this.opts.iface, this.opts.bpf, snap, this.opts.bufferBytes, this.opts.immediate ?? false, this.opts.timeoutMs ?? 50, ring.buf,
        (count, bytes) => this.onBatch(count, bytes), MAX_PER_WAKE);
    } catch (e) {
      return this.openError(e);
    }
    const linkType = linkTypeOfDlt(dlt);
    if (linkType < 0) {
      h.close();
      return { ok: false, code: 'CAPTURE.LINK_TYPE', message: `unsupported link type on ${this.opts.iface}: DLT ${dlt}` };
    }
    this.linkType = linkType;
    ring.linkType = linkType;
    this.ring = ring;
    this.ringHandle = h;
    this.engine = 'pcap-ring';
    return { ok: true, linkType, engine: 'pcap-ring' };
  }

  /** One wake-up's packets: `count` records in the ring's first `bytes` bytes. */
  private onBatch(count: number, bytes: number): void {
    if (this.ring) this.counters.packetsSeen += this.ring.decode(count, bytes, this.batcher, this.onFrame);
    this.lastPacketWallMs = Date.now();
  }

  private openCap(): OpenResult {
    let CapCtor: new () => CapHandle;
    try {
      CapCtor = require('cap').Cap;
    } catch (e) {
      return { ok: false, code: 'CAPTURE.OPEN', message: `neither the pcap_ring addon nor the cap module (libpcap binding) is built: ${(e as Error).message}` };
    }
    const cap = new CapCtor();
    this.buf = Buffer.alloc(65535);
    this.frame.buf = this.buf;
    this.frame.off = 0;
    let lt: string;
    try {
      lt = cap.open(this.opts.iface, this.opts.bpf, this.opts.bufferBytes, this.buf);
    } catch (e) {
      return this.openError(e);
    }
    const linkType = CAP_LINK_TYPES[lt];
    if (linkType === undefined) {
      cap.close();
      return { ok: false, code: 'CAPTURE.LINK_TYPE', message: `unsupported link type on ${this.opts.iface}: ${lt}` };
    }
    this.linkType = linkType;
    this.frame.linkType = linkType;
    this.baseIfPackets = this.ifPackets();
    cap.on('packet', (nbytes) => this.onCapPacket(nbytes));
    this.cap = cap;
    this.engine = 'cap';
    return { ok: true, linkType, engine: 'cap' };
  }

  private onCapPacket(nbytes: number): void {
    const tsUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    this.lastPacketWallMs = Date.now();
    const capLen = nbytes < this.opts.snaplen ? nbytes : this.opts.snaplen;
    this.counters.packetsSeen++;
    if (this.onFrame) {
      this.frame.tsUs = tsUs;
      this.frame.capLen = capLen;
      this.frame.wireLen = nbytes;
      this.onFrame(this.frame);
    }
    const err = decodeFrame(this.linkType, this.buf, 0, capLen, nbytes, tsUs, this.rec);
    if (err !== 0) {
      this.decodeCounters.add(err);
      return;
    }
    this.batcher.add(this.rec);
  }

  private ifPackets(): number {
    try {
      const base = `/sys/class/net/${this.opts.iface}/statistics/`;
      return Number(readFileSync(base + 'rx_packets', 'utf8')) + Number(readFileSync(base + 'tx_packets', 'utf8'));
    } catch {
      return -1;
    }
  }

  /**
   * Packets dropped by the kernel since open. pcap-ring: pcap_stats' ps_drop (the packet
   * socket's PACKET_STATISTICS tp_drops: the ring was full), accumulated across its 2^32 wrap.
   * cap: an estimate, interface packets since open minus packets received (no BPF filter only).
   */
  kernelDrops(): number {
    if (this.engine === 'pcap-ring') {
      const raw = this.ringHandle ? this.ringHandle.stats()[1] : -1;
      if (raw >= 0) {
        this.drops += (raw - this.lastDropRaw + TWO32) % TWO32;
        this.lastDropRaw = raw;
      }
      return this.drops;
    }
    if (this.opts.bpf !== '' || this.baseIfPackets < 0) return 0;
    const now = this.ifPackets();
    if (now < 0) return 0;
    const d = now - this.baseIfPackets - this.counters.packetsSeen;
    return d > 0 ? d : 0;
  }

  close(): void {
    if (this.ringHandle) {
      this.kernelDrops(); // last count before the handle goes
      this.ringHandle.close();
    }
    this.ringHandle = null;
    this.cap?.close();
    this.cap = null;
  }
}
