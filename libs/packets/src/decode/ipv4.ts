import { decodeTransport } from './transport';
import type { L3, PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedIp = 3, BadIpVersion = 4, BadIpHeaderLength = 5, BadIpTotalLength = 6 }

/** Offsets and sizes used per packet, as literals: module-level `const`s are context loads in the compiled code. */
const enum K {
  VER_IHL = 0,
  TOTAL_LEN = 2,
  FLAGS_FRAG = 6,
  TTL = 8,
  PROTO = 9,
  SRC = 12,
  DST = 16,
  IPV4_MIN_HEADER = 20,
  MF = 0x2000,
  FRAG_OFFSET_MASK = 0x1fff,
  V4_MAPPED_WORD = 0xffff,
}

/*
 * IPv4 header (RFC 791), 20 bytes fixed + options:
 *   0  version (4 bits) | IHL (4 bits, 32-bit words)   1  DSCP/ECN
 *   2  total length u16
 *   4  identification u16 | 6  flags (3 bits: 0 DF MF) | fragment offset (13 bits, 8-byte units)
 *   8  TTL u8 | 9  protocol u8 | 10  header checksum u16
 *  12  source address | 16  destination address
 *  20  options (IHL * 4 - 20 bytes)
 * Only a fragment with offset 0 carries the transport header (and so ports).
 */
export const IPV4_MIN_HEADER: number = K.IPV4_MIN_HEADER;
/** Third word of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
export const V4_MAPPED_WORD: number = K.V4_MAPPED_WORD;

export function decodeIpv4(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < K.IPV4_MIN_HEADER) return DecodeError.TruncatedIp;
  const verIhl = buf[off + K.VER_IHL];
  if (verIhl >>> 4 !== 4) return DecodeError.BadIpVersion;
  const hdrLen = (verIhl & 0x0f) << 2;
  if (hdrLen < K.IPV4_MIN_HEADER) return DecodeError.BadIpHeaderLength;
  if (capEnd - off < hdrLen) return DecodeError.TruncatedIp;
  let totalLen = (buf[off + K.TOTAL_LEN] << 8) | buf[off + K.TOTAL_LEN + 1];
  // Total length 0 is what TCP segmentation offload leaves in locally captured packets.
  if (totalLen === 0) totalLen = capEnd - off;
  if (totalLen < hdrLen) return DecodeError.BadIpTotalLength;
  // A header may declare more than the frame held on the wire (a lie, or a tool that rewrote the
  // length): payload features would count bytes that never passed.
  if (totalLen > out.wireEnd - off) totalLen = out.wireEnd - off;

  out.l3 = 4 as L3.IPv4; // a literal: the imported enum is a getter call per packet (see errors.ts)
  out.ipHdrLen = hdrLen;
  out.ipLen = totalLen;
  out.ttl = buf[off + K.TTL];
  const proto = buf[off + K.PROTO];
  out.proto = proto;
  const src = out.src;
  src[0] = 0; src[1] = 0; src[2] = K.V4_MAPPED_WORD;
  src[3] = ((buf[off + K.SRC] << 24) | (buf[off + K.SRC + 1] << 16) | (buf[off + K.SRC + 2] << 8) | buf[off + K.SRC + 3]) >>> 0;
  const dst = out.dst;
  dst[0] = 0; dst[1] = 0; dst[2] = K.V4_MAPPED_WORD;
  dst[3] = ((buf[off + K.DST] << 24) | (buf[off + K.DST + 1] << 16) | (buf[off + K.DST + 2] << 8) | buf[off + K.DST + 3]) >>> 0;

  const frag = (buf[off + K.FLAGS_FRAG] << 8) | buf[off + K.FLAGS_FRAG + 1];
  const fragOffset = frag & K.FRAG_OFFSET_MASK;
  const l4Len = totalLen - hdrLen;
  if ((frag & K.MF) !== 0 || fragOffset !== 0) {
    out.isFragment = true;
    if (fragOffset !== 0) {
      out.payloadLen = l4Len;
      return DecodeError.None;
    }
    out.isFirstFragment = true;
  }
  const ipEnd = off + totalLen;
  return decodeTransport(proto, buf, off + hdrLen, ipEnd < capEnd ? ipEnd : capEnd, l4Len, out);
}
