import { DecodeError } from './errors';
import { decodeTransport } from './transport';
import { L3, type PacketRecord } from '../packet';

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
const VER_IHL = 0;
const TOTAL_LEN = 2;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTO = 9;
const SRC = 12;
const DST = 16;
export const IPV4_MIN_HEADER = 20;
const MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;
/** Third word of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
export const V4_MAPPED_WORD = 0xffff;

export function decodeIpv4(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < IPV4_MIN_HEADER) return DecodeError.TruncatedIp;
  const verIhl = buf[off + VER_IHL];
  if (verIhl >>> 4 !== 4) return DecodeError.BadIpVersion;
  const hdrLen = (verIhl & 0x0f) << 2;
  if (hdrLen < IPV4_MIN_HEADER) return DecodeError.BadIpHeaderLength;
  if (capEnd - off < hdrLen) return DecodeError.TruncatedIp;
  let totalLen = (buf[off + TOTAL_LEN] << 8) | buf[off + TOTAL_LEN + 1];
  // Total length 0 is what TCP segmentation offload leaves in locally captured packets.
  if (totalLen === 0) totalLen = capEnd - off;
  if (totalLen < hdrLen) return DecodeError.BadIpTotalLength;

  out.l3 = L3.IPv4;
  out.ipHdrLen = hdrLen;
  out.ipLen = totalLen;
  out.ttl = buf[off + TTL];
  const proto = buf[off + PROTO];
  out.proto = proto;
  const src = out.src;
  src[0] = 0; src[1] = 0; src[2] = V4_MAPPED_WORD;
  src[3] = ((buf[off + SRC] << 24) | (buf[off + SRC + 1] << 16) | (buf[off + SRC + 2] << 8) | buf[off + SRC + 3]) >>> 0;
  const dst = out.dst;
  dst[0] = 0; dst[1] = 0; dst[2] = V4_MAPPED_WORD;
  dst[3] = ((buf[off + DST] << 24) | (buf[off + DST + 1] << 16) | (buf[off + DST + 2] << 8) | buf[off + DST + 3]) >>> 0;

  const frag = (buf[off + FLAGS_FRAG] << 8) | buf[off + FLAGS_FRAG + 1];
  const fragOffset = frag & FRAG_OFFSET_MASK;
  const l4Len = totalLen - hdrLen;
  if ((frag & MF) !== 0 || fragOffset !== 0) {
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
