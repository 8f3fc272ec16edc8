import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedLink = 2, TruncatedIp = 3, BadIpVersion = 4 }

/*
 * Raw IP (LINKTYPE_RAW = 101, also DLT 12/14, LINKTYPE_IPV4 228, LINKTYPE_IPV6 229):
 * no link header; the IP version nibble says IPv4 or IPv6.
 *
 * BSD loopback (LINKTYPE_NULL = 0): 4-byte address family in the byte order of the host that
 * captured; LINKTYPE_LOOP (108): the same in network order. AF_INET is 2 everywhere; AF_INET6
 * is 10 (Linux), 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
 */
export const NULL_HEADER = 4;

export function decodeRawIp(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < 1) return DecodeError.TruncatedIp;
  const ver = buf[off] >>> 4;
  if (ver === 4) return decodeIpv4(buf, off, capEnd, out);
  if (ver === 6) return decodeIpv6(buf, off, capEnd, out);
  return DecodeError.BadIpVersion;
}

function decodeFamily(af: number, buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (af === 2) return decodeIpv4(buf, off, capEnd, out);
  if (af === 10 || af === 24 || af === 28 || af === 30) return decodeIpv6(buf, off, capEnd, out);
  return DecodeError.None;
}

export function decodeNull(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < NULL_HEADER) return DecodeError.TruncatedLink;
  // Host byte order unknown: the family is < 256, so whichever end holds the non-zero byte wins.
  const af = buf[off] === 0 && buf[off + 1] === 0 ? (buf[off + 2] << 8) | buf[off + 3] : buf[off] | (buf[off + 1] << 8);
  return decodeFamily(af, buf, off + NULL_HEADER, capEnd, out);
}

export function decodeLoop(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < NULL_HEADER) return DecodeError.TruncatedLink;
  const af = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  return decodeFamily(af, buf, off + NULL_HEADER, capEnd, out);
}
