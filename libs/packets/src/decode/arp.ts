import { V4_MAPPED_WORD } from './ipv4';
import type { L3, PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedArp = 12 }

/*
 * ARP (RFC 826):
 *   0  hardware type u16 | 2  protocol type u16 | 4  hardware length u8 | 5  protocol length u8
 *   6  operation u16 (1 request, 2 reply)
 *   8  sender hardware address (hlen) | sender protocol address (plen)
 *      target hardware address (hlen) | target protocol address (plen)
 * Addresses are read only for IPv4 over any hardware (protocol 0x0800, plen 4); the sender and
 * target IPv4 addresses are also put in src/dst (IPv4-mapped) so sweeps can be keyed like IP.
 */
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OP = 6;
const ADDRS = 8;
export const ARP_FIXED = 8;

export function decodeArp(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < ARP_FIXED) return DecodeError.TruncatedArp;
  out.l3 = 0x0806 as L3.ARP; // a literal: the imported enum is a getter call per packet (see errors.ts)
  out.arpOp = (buf[off + OP] << 8) | buf[off + OP + 1];
  const ptype = (buf[off + PTYPE] << 8) | buf[off + PTYPE + 1];
  const hlen = buf[off + HLEN];
  const plen = buf[off + PLEN];
  if (ptype !== 0x0800 || plen !== 4) return DecodeError.None;
  const spa = off + ADDRS + hlen;
  const tpa = spa + 4 + hlen;
  if (capEnd - tpa < 4) return DecodeError.TruncatedArp;
  out.arpSenderIp = ((buf[spa] << 24) | (buf[spa + 1] << 16) | (buf[spa + 2] << 8) | buf[spa + 3]) >>> 0;
  out.arpTargetIp = ((buf[tpa] << 24) | (buf[tpa + 1] << 16) | (buf[tpa + 2] << 8) | buf[tpa + 3]) >>> 0;
  const src = out.src;
  src[0] = 0; src[1] = 0; src[2] = V4_MAPPED_WORD; src[3] = out.arpSenderIp;
  const dst = out.dst;
  dst[0] = 0; dst[1] = 0; dst[2] = V4_MAPPED_WORD; dst[3] = out.arpTargetIp;
  return DecodeError.None;
}
