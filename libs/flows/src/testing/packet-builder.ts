/** Test helper: fills a PacketRecord by hand (for cases real captures do not isolate). */
import { PacketRecord } from '@netsentry/packets';
import { parseAddress } from '../address';

export interface PacketSpec {
  /** Packet time in seconds (converted to integer µs). */
  t: number;
  src: string;
  dst: string;
  sp?: number;
  dp?: number;
  /** IP protocol, default TCP. */
  proto?: number;
  /** TCP flags as letters: S, A, F, R, P, U, E, C (e.g. 'SA'). */
  flags?: string;
  /** Transport payload bytes (default 0). */
  pay?: number;
  /** Frame length (default headers + payload: 14 + 20 + l4 header + payload). */
  wire?: number;
  ttl?: number;
  window?: number;
  vlan?: number;
  vlanInner?: number;
  /** 'first' = first fragment (has ports), 'rest' = non-first fragment (no ports). */
  fragment?: 'first' | 'rest';
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function fill(rec: PacketRecord, p: PacketSpec): PacketRecord {
  rec.reset();
  const v6 = p.src.includes(':');
  rec.l3 = (v6 ? 6 : 4) as PacketRecord['l3'];
  if (!parseAddress(p.src, rec.src) || !parseAddress(p.dst, rec.dst)) throw new Error(`bad address in ${JSON.stringify(p)}`);
  rec.tsUs = Math.round(p.t * 1e6);
  rec.proto = p.proto ?? 6;
  const l4 = rec.proto === 6 ? 20 : 8;
  rec.srcPort = p.fragment === 'rest' ? 0 : (p.sp ?? 0);
  rec.dstPort = p.fragment === 'rest' ? 0 : (p.dp ?? 0);
  let f = 0;
  for (const c of p.flags ?? '') f |= FLAG_BITS[c] ?? 0;
  rec.tcpFlags = rec.proto === 6 && p.fragment !== 'rest' ? f : 0;
  rec.payloadLen = p.pay ?? 0;
  rec.l4HdrLen = p.fragment === 'rest' ? 0 : l4;
  rec.ipHdrLen = v6 ? 40 : 20;
  rec.ipLen = rec.ipHdrLen + rec.l4HdrLen + rec.payloadLen;
  rec.wireLen = p.wire ?? 14 + rec.ipLen;
  rec.capLen = rec.wireLen;
  rec.ttl = p.ttl ?? 64;
  rec.window = p.window ?? 0;
  rec.vlanOuter = p.vlan ?? 0;
  rec.vlanInner = p.vlanInner ?? 0;
  rec.isFragment = p.fragment !== undefined;
  rec.isFirstFragment = p.fragment === 'first';
  return rec;
}
