import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedIcmp = 11 }

/** Offsets and sizes used per packet, as literals: module-level `const`s are context loads in the compiled code. */
const enum K {
  TYPE = 0,
  CODE = 1,
  ICMP_HEADER = 8,
}

/*
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) share the first bytes:
 *   0  type u8 | 1  code u8 | 2  checksum u16 | 4  rest of header (4 bytes, type-specific)
 * Only type and code must be captured. No ports: flows key ICMP by type/code.
 */
export const ICMP_HEADER: number = K.ICMP_HEADER;

export function decodeIcmp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < 2 || l4Len < 2) return DecodeError.TruncatedIcmp;
  out.icmpType = buf[off + K.TYPE];
  out.icmpCode = buf[off + K.CODE];
  out.l4HdrLen = K.ICMP_HEADER;
  out.payloadLen = l4Len > K.ICMP_HEADER ? l4Len - K.ICMP_HEADER : 0;
  return DecodeError.None;
}
