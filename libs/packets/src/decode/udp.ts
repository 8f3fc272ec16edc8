import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedUdp = 10 }

/** Offsets and sizes used per packet, as literals: module-level `const`s are context loads in the compiled code. */
const enum K {
  SRC_PORT = 0,
  DST_PORT = 2,
  UDP_HEADER = 8,
}

/*
 * UDP header (RFC 768), 8 bytes:
 *   0  src port u16 | 2  dst port u16 | 4  length u16 (header + data) | 6  checksum u16
 * The payload length is taken from the IP header (the UDP length field is often wrong in
 * offloaded or crafted traffic and is not needed for flows).
 */
export const UDP_HEADER: number = K.UDP_HEADER;

export function decodeUdp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < K.UDP_HEADER || l4Len < K.UDP_HEADER) return DecodeError.TruncatedUdp;
  out.srcPort = (buf[off + K.SRC_PORT] << 8) | buf[off + K.SRC_PORT + 1];
  out.dstPort = (buf[off + K.DST_PORT] << 8) | buf[off + K.DST_PORT + 1];
  out.l4HdrLen = K.UDP_HEADER;
  out.payloadLen = l4Len - K.UDP_HEADER;
  return DecodeError.None;
}
