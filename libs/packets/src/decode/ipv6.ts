import { decodeTransport } from './transport';
import type { L3, PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedIp = 3, BadIpVersion = 4, TruncatedIpv6Ext = 7 }

/*
 * IPv6 header (RFC 8200), 40 bytes:
 *   0  version (4 bits) | traffic class (8) | flow label (20)
 *   4  payload length u16 | 6  next header u8 | 7  hop limit u8
 *   8  source address (16 bytes) | 24  destination address (16 bytes)
 * Extension headers are walked to the transport header:
 *   hop-by-hop 0, routing 43, destination options 60, mobility 135, HIP 139, shim6 140:
 *     next u8 | length u8 (8-byte units, not counting the first 8)
 *   fragment 44: next u8 | reserved u8 | offset (13 bits) res (2) M (1) | identification u32 (8 bytes)
 *   authentication 51: next u8 | length u8 (4-byte units, minus 2)
 * ESP (50) and no-next-header (59) end the walk.
 */
const PAYLOAD_LEN = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;
export const IPV6_HEADER = 40;
/** Enough for any sane chain; a longer one is treated as damage, which also bounds the loop. */
const MAX_EXT_HEADERS = 16;

function readWord(buf: Buffer, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

export function decodeIpv6(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < IPV6_HEADER) return DecodeError.TruncatedIp;
  if (buf[off] >>> 4 !== 6) return DecodeError.BadIpVersion;
  let payloadLen = (buf[off + PAYLOAD_LEN] << 8) | buf[off + PAYLOAD_LEN + 1];
  // 0 = jumbogram or segmentation offload: take what was captured.
  if (payloadLen === 0) payloadLen = capEnd - off - IPV6_HEADER;
  // Not more than the frame held on the wire (see decodeIpv4).
  if (payloadLen > out.wireEnd - off - IPV6_HEADER) payloadLen = out.wireEnd - off - IPV6_HEADER;
  out.l3 = 6 as L3.IPv6; // a literal: the imported enum is a getter call per packet (see errors.ts)
  out.ttl = buf[off + HOP_LIMIT];
  out.ipLen = IPV6_HEADER + payloadLen;
  const src = out.src;
  const dst = out.dst;
  for (let i = 0; i < 4; i++) {
    src[i] = readWord(buf, off + SRC + 4 * i);
    dst[i] = readWord(buf, off + DST + 4 * i);
  }

  const ipEnd = off + IPV6_HEADER + payloadLen;
  const end = ipEnd < capEnd ? ipEnd : capEnd;
  let nh = buf[off + NEXT_HEADER];
  let p = off + IPV6_HEADER;
  for (let n = 0; ; n++) {
    let extLen: number;
    switch (nh) {
      case 0:
      case 43:
      case 60:
      case 135:
      case 139:
      case 140:
        if (end - p < 2) return DecodeError.TruncatedIpv6Ext;
        extLen = (buf[p + 1] + 1) << 3;
        break;
      case 51:
        if (end - p < 2) return DecodeError.TruncatedIpv6Ext;
        extLen = (buf[p + 1] + 2) << 2;
        break;
      case 44: {
        if (end - p < 8) return DecodeError.TruncatedIpv6Ext;
        const fo = (buf[p + 2] << 8) | buf[p + 3];
        const fragOffset = fo >>> 3;
        out.isFragment = true;
        if (fragOffset !== 0) {
          out.proto = buf[p];
          out.ipHdrLen = p + 8 - off;
          out.payloadLen = ipEnd - p - 8;
          return DecodeError.None;
        }
        out.isFirstFragment = true;
        extLen = 8;
        break;
      }
      default:
        out.proto = nh;
        out.ipHdrLen = p - off;
        return decodeTransport(nh, buf, p, end, ipEnd - p, out);
    }
    if (n >= MAX_EXT_HEADERS || ipEnd - p < extLen) return DecodeError.TruncatedIpv6Ext;
    nh = buf[p];
    p += extLen;
  }
}
