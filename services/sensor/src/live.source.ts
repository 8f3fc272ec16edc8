import { readFileSync } from 'node:fs';
import { DecodeCounters, decodeFrame, PacketRecord, RawFrame } from '@netsentry/packets';
import type { PacketBatcher } from './packets.batcher';
import type { SensorCounters } from './sensor.counters';
import { canCapture, CAPTURE_PERMISSION_MESSAGE } from './capture.permissions';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?: (n: number) => void;
}

/** cap names link types; the decoder wants LINKTYPE_* numbers. */
const LINK_TYPES: Record<string, number> = { ETHERNET: 1, NULL: 0, LINKTYPE_LINUX_SLL: 113, RAW: 101 };

export type OpenResult = { ok: true; linkType: number } | { ok: false; code: 'CAPTURE.PERMISSION' | 'CAPTURE.OPEN' | 'CAPTURE.LINK_TYPE'; message: string };

export interface LiveOptions {
  iface: string;
  bpf: string;
  snaplen: number;
  bufferBytes: number;
}

/**
 * Live capture with `cap` (libpcap, immediate mode). cap gives neither the pcap timestamp nor
 * pcap_stats, so packets are stamped with the wall clock (µs) when they reach us, and kernel
 * drops are estimated from the interface counters (exact only without a BPF filter; with one
 * the estimate is 0 and the heartbeat says so). The callback decodes into one reusable record
 * and hands it to the batcher: no allocation per packet.
 */
export class LiveSource {
  private cap: CapHandle | null = null;
  private readonly buf: Buffer;
  private readonly rec = new PacketRecord();
  readonly decodeCounters = new DecodeCounters();
  private readonly frame: RawFrame;
  private baseIfPackets = -1;
  lastPacketWallMs = 0;
  linkType = -1;

  constructor(
    private readonly opts: LiveOptions,
    private readonly batcher: PacketBatcher,
    private readonly counters: SensorCounters,
    /** Called with every captured frame before decoding (rolling pcap output). */
    public onFrame: ((f: RawFrame) => void) | null,
  ) {
    this.buf = Buffer.alloc(65535);
    this.frame = new RawFrame();
    this.frame.buf = this.buf;
  }

  open(): OpenResult {
    if (!canCapture()) return { ok: false, code: 'CAPTURE.PERMISSION', message: CAPTURE_PERMISSION_MESSAGE };
    let CapCtor: new () => CapHandle;
    try {
      CapCtor = require('cap').Cap;
    } catch (e) {
      return { ok: false, code: 'CAPTURE.OPEN', message: `the cap module (libpcap binding) is not built: ${(e as Error).message}` };
    }
    const cap = new CapCtor();
    let lt: string;
    try {
      lt = cap.open(this.opts.iface, this.opts.bpf, this.opts.bufferBytes, this.buf);
    } catch (e) {
      const msg = (e as Error).message;
      if (/permi|not permitted|EPERM/i.test(msg)) return { ok: false, code: 'CAPTURE.PERMISSION', message: `${CAPTURE_PERMISSION_MESSAGE} (${msg})` };
      return { ok: false, code: 'CAPTURE.OPEN', message: `cannot capture on ${this.opts.iface}: ${msg}` };
    }
    const linkType = LINK_TYPES[lt];
    if (linkType === undefined) {
      cap.close();
      return { ok: false, code: 'CAPTURE.LINK_TYPE', message: `unsupported link type on ${this.opts.iface}: ${lt}` };
    }
    this.linkType = linkType;
    this.frame.linkType = linkType;
    this.baseIfPackets = this.ifPackets();
    cap.setMinBytes?.(0);
    cap.on('packet', (nbytes) => this.onPacket(nbytes));
    this.cap = cap;
    return { ok: true, linkType };
  }

  private onPacket(nbytes: number): void {
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

  /** Estimated kernel drops: interface packets since open minus packets we received (no BPF filter only). */
  estimateKernelDrops(): number {
    if (this.opts.bpf !== '' || this.baseIfPackets < 0) return 0;
    const now = this.ifPackets();
    if (now < 0) return 0;
    const d = now - this.baseIfPackets - this.counters.packetsSeen;
    return d > 0 ? d : 0;
  }

  close(): void {
    this.cap?.close();
    this.cap = null;
  }
}
