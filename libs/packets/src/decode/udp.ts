import { DecodeError } from './errors';
import type { PacketRecord } from '../packet';

/*
 * UDP header (RFC 768), 8 bytes:
 *   0  src port u16 | 2  dst port u16 | 4  length u16 (header + data) | 6  checksum u16
 * The payload length is taken from the IP header (the UDP length field is often wrong in
 * offloaded or crafted traffic and is not needed for flows).
 */
const SRC_PORT = 0;
const DST_PORT = 2;
export const UDP_HEADER = 8;

export function decodeUdp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < UDP_HEADER || l4Len < UDP_HEADER) return DecodeError.TruncatedUdp;
  out.srcPort = (buf[off + SRC_PORT] << 8) | buf[off + SRC_PORT + 1];
  out.dstPort = (buf[off + DST_PORT] << 8) | buf[off + DST_PORT + 1];
  out.l4HdrLen = UDP_HEADER;
  out.payloadLen = l4Len - UDP_HEADER;
  return DecodeError.None;
}
