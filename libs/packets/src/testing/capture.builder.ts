/*
 * Byte builders for tests: capture files (pcap, pcapng) and frames (Ethernet ... TCP/UDP/ICMP).
 * Used only by specs; they write every field explicitly so each test states what it feeds in.
 */

export interface PcapRecordSpec {
  tsUs: number;
  data: Buffer;
  /** Defaults to data.length. */
  wireLen?: number;
}

/** A classic pcap file. `nanos` writes the ns magic and ns fractions. */
export function pcapFile(records: PcapRecordSpec[], opts: { le?: boolean; nanos?: boolean; linkType?: number; snaplen?: number } = {}): Buffer {
  const le = opts.le ?? true;
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number): void => { if (le) b.writeUInt32LE(v >>> 0, o); else b.writeUInt32BE(v >>> 0, o); };
  const w16 = (b: Buffer, v: number, o: number): void => { if (le) b.writeUInt16LE(v, o); else b.writeUInt16BE(v, o); };
  w32(h, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, 2, 4);
  w16(h, 4, 6);
  w32(h, opts.snaplen ?? 65535, 16);
  w32(h, opts.linkType ?? 1, 20);
  parts.push(h);
  for (const r of records) {
    const rh = Buffer.alloc(16);
    const sec = Math.floor(r.tsUs / 1e6);
    const us = r.tsUs - sec * 1e6;
    w32(rh, sec, 0);
    w32(rh, opts.nanos ? us * 1000 + 789 : us, 4);
    w32(rh, r.data.length, 8);
    w32(rh, r.wireLen ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

export interface PcapngInterfaceSpec {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte (default: option absent = µs). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
}

export type PcapngBlockSpec =
  | { kind: 'epb'; ifId: number; ts: bigint; data: Buffer; wireLen?: number; options?: boolean }
  | { kind: 'opb'; ifId: number; ts: bigint; data: Buffer; wireLen?: number }
  | { kind: 'spb'; data: Buffer; wireLen?: number }
  | { kind: 'raw'; type: number; body: Buffer };

function pad4(b: Buffer): Buffer {
  const n = (4 - (b.length & 3)) & 3;
  return n ? Buffer.concat([b, Buffer.alloc(n)]) : b;
}

/** One pcapng section: SHB, one IDB per interface, then the blocks, in the given byte order. */
export function pcapngSection(interfaces: PcapngInterfaceSpec[], blocks: PcapngBlockSpec[], opts: { le?: boolean } = {}): Buffer {
  const le = opts.le ?? true;
  const u32 = (v: number): Buffer => { const b = Buffer.alloc(4); if (le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; };
  const u16 = (v: number): Buffer => { const b = Buffer.alloc(2); if (le) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; };
  const block = (type: number, body: Buffer): Buffer => {
    const padded = pad4(body);
    const len = 12 + padded.length;
    return Buffer.concat([u32(type), u32(len), padded, u32(len)]);
  };
  const option = (code: number, value: Buffer): Buffer => pad4(Buffer.concat([u16(code), u16(value.length), value]));
  const out: Buffer[] = [];
  const i64 = (v: bigint): Buffer => { const b = Buffer.alloc(8); if (le) b.writeBigInt64LE(v); else b.writeBigInt64BE(v); return b; };
  // SHB with a shb_userappl option, to show options are skipped.
  out.push(block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), i64(-1n), option(4, Buffer.from('netsentry-test')), u32(0)])));
  for (const itf of interfaces) {
    const opts: Buffer[] = [option(2, Buffer.from('eth-test'))];
    if (itf.tsresol !== undefined) opts.push(option(9, Buffer.from([itf.tsresol])));
    if (itf.tsoffset !== undefined) opts.push(option(14, i64(BigInt(itf.tsoffset))));
    if (opts.length) opts.push(u32(0));
    out.push(block(1, Buffer.concat([u16(itf.linkType), u16(0), u32(itf.snaplen ?? 0), ...opts])));
  }
  for (const b of blocks) {
    if (b.kind === 'epb' || b.kind === 'opb') {
      const hi = Number(b.ts >> 32n);
      const lo = Number(b.ts & 0xffffffffn);
      const head = b.kind === 'epb' ? u32(b.ifId) : Buffer.concat([u16(b.ifId), u16(0)]);
      const tail = b.kind === 'epb' && b.options ? Buffer.concat([option(1, Buffer.from('a comment')), u32(0)]) : Buffer.alloc(0);
      out.push(block(b.kind === 'epb' ? 6 : 2, Buffer.concat([head, u32(hi), u32(lo), u32(b.data.length), u32(b.wireLen ?? b.data.length), pad4(b.data), tail])));
    } else if (b.kind === 'spb') {
      out.push(block(3, Buffer.concat([u32(b.wireLen ?? b.data.length), b.data])));
    } else {
      out.push(block(b.type, b.body));
    }
  }
  return Buffer.concat(out);
}

const mac = (n: number): Buffer => Buffer.from([0x02, 0, 0, 0, 0, n]);

export function ether(type: number, payload: Buffer, tags: { tpid?: number; vid: number }[] = []): Buffer {
  const hdr: Buffer[] = [mac(1), mac(2)];
  for (const t of tags) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(t.tpid ?? 0x8100, 0);
    b.writeUInt16BE(t.vid & 0x0fff, 2);
    hdr.push(b);
  }
  const et = Buffer.alloc(2);
  et.writeUInt16BE(type);
  return Buffer.concat([...hdr, et, payload]);
}

export function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  ttl?: number;
  options?: Buffer;
  mf?: boolean;
  fragOffset?: number;
  /** Overrides the computed total length. */
  totalLen?: number;
  /** Overrides the IHL nibble. */
  ihl?: number;
  version?: number;
}

export function ipv4(s: Ipv4Spec): Buffer {
  const opts = s.options ? pad4(s.options) : Buffer.alloc(0);
  const h = Buffer.alloc(20);
  const hl = 20 + opts.length;
  h[0] = ((s.version ?? 4) << 4) | (s.ihl ?? hl / 4);
  h.writeUInt16BE(s.totalLen ?? hl + s.payload.length, 2);
  h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE((s.mf ? 0x2000 : 0) | ((s.fragOffset ?? 0) & 0x1fff), 6);
  h[8] = s.ttl ?? 64;
  h[9] = s.proto;
  ipv4Bytes(s.src).copy(h, 12);
  ipv4Bytes(s.dst).copy(h, 16);
  return Buffer.concat([h, opts, s.payload]);
}

export function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const hg = head ? head.split(':') : [];
  const tg = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hg : [...hg, ...new Array(8 - hg.length - tg.length).fill('0'), ...tg];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface Ipv6Ext {
  type: number;
  /** Body after the next-header byte and length byte (fragment: the 6 remaining bytes). */
  body: Buffer;
}

export function ipv6(s: { src: string; dst: string; nh: number; payload: Buffer; hlim?: number; ext?: Ipv6Ext[]; payloadLen?: number }): Buffer {
  const ext = s.ext ?? [];
  const chain: Buffer[] = [];
  for (let i = 0; i < ext.length; i++) {
    const next = i + 1 < ext.length ? ext[i + 1].type : s.nh;
    const e = ext[i];
    if (e.type === 44) chain.push(Buffer.concat([Buffer.from([next, 0]), e.body]));
    else if (e.type === 51) chain.push(Buffer.concat([Buffer.from([next, (e.body.length + 2) / 4 - 2]), e.body]));
    else chain.push(Buffer.concat([Buffer.from([next, (e.body.length + 2) / 8 - 1]), e.body]));
  }
  const rest = Buffer.concat([...chain, s.payload]);
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(s.payloadLen ?? rest.length, 4);
  h[6] = ext.length ? ext[0].type : s.nh;
  h[7] = s.hlim ?? 64;
  ipv6Bytes(s.src).copy(h, 8);
  ipv6Bytes(s.dst).copy(h, 24);
  return Buffer.concat([h, rest]);
}

export function tcp(s: { sport: number; dport: number; flags: number; seq?: number; ack?: number; win?: number; options?: Buffer; doff?: number; payload?: Buffer }): Buffer {
  const opts = s.options ? pad4(s.options) : Buffer.alloc(0);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(s.sport, 0);
  h.writeUInt16BE(s.dport, 2);
  h.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  h[12] = (s.doff ?? (20 + opts.length) / 4) << 4;
  h[13] = s.flags;
  h.writeUInt16BE(s.win ?? 65535, 14);
  return Buffer.concat([h, opts, s.payload ?? Buffer.alloc(0)]);
}

export function udp(sport: number, dport: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function icmp(type: number, code: number, payload: Buffer = Buffer.alloc(4)): Buffer {
  return Buffer.concat([Buffer.from([type, code, 0, 0, 0, 1, 0, 1]), payload]);
}

export function arp(op: number, senderIp: string, targetIp: string): Buffer {
  const h = Buffer.alloc(28);
  h.writeUInt16BE(1, 0);
  h.writeUInt16BE(0x0800, 2);
  h[4] = 6;
  h[5] = 4;
  h.writeUInt16BE(op, 6);
  mac(1).copy(h, 8);
  ipv4Bytes(senderIp).copy(h, 14);
  mac(2).copy(h, 18);
  ipv4Bytes(targetIp).copy(h, 24);
  return h;
}

/** Deterministic PRNG (mulberry32) for fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
