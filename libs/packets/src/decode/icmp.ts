import { DecodeError } from './errors';
import type { PacketRecord } from '../packet';

/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) share the first bytes:
 *   0  type u8 | 1  code u8 | 2  checksum u16 | 4  rest of header (4 bytes, type-specific)
 * Only type and code must be captured. No ports: flows key ICMP by type/code.
 */
const TYPE = 0;
const CODE = 1;
export const ICMP_HEADER = 8;

export function decodeIcmp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < 2 || l4Len < 2) return DecodeError.TruncatedIcmp;
  out.icmpType = buf[off + TYPE];
  out.icmpCode = buf[off + CODE];
  out.l4HdrLen = ICMP_HEADER;
  out.payloadLen = l4Len > ICMP_HEADER ? l4Len - ICMP_HEADER : 0;
  return DecodeError.None;
}
