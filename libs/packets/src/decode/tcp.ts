import { DecodeError } from './errors';
import type { PacketRecord } from '../packet';

/*
 * TCP header (RFC 9293), 20 bytes fixed + options:
 *   0  src port u16 | 2  dst port u16
 *   4  sequence number u32
 *   8  acknowledgment number u32
 *  12  data offset (4 bits) | reserved (3) | AE/NS (1) | 13 flags u8 (CWR ECE URG ACK PSH RST SYN FIN)
 *  14  window u16 | 16 checksum u16 | 18 urgent pointer u16
 *  20  options (data offset * 4 - 20 bytes)
 * Only the fixed 20 bytes must be captured; options may be cut by the snaplen.
 */
const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const FLAGS = 13;
const WINDOW = 14;
export const TCP_MIN_HEADER = 20;

/**
 * Decodes a TCP header at `off`. `capEnd` bounds the captured bytes, `l4Len` is the
 * transport length declared by the IP header (bytes from `off` to the end of the IP packet).
 */
export function decodeTcp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < TCP_MIN_HEADER) return DecodeError.TruncatedTcp;
  const hdrLen = (buf[off + DATA_OFFSET] >>> 4) << 2;
  if (hdrLen < TCP_MIN_HEADER || hdrLen > l4Len) return DecodeError.BadTcpOffset;
  out.srcPort = (buf[off + SRC_PORT] << 8) | buf[off + SRC_PORT + 1];
  out.dstPort = (buf[off + DST_PORT] << 8) | buf[off + DST_PORT + 1];
  out.seq = ((buf[off + SEQ] << 24) | (buf[off + SEQ + 1] << 16) | (buf[off + SEQ + 2] << 8) | buf[off + SEQ + 3]) >>> 0;
  out.ack = ((buf[off + ACK] << 24) | (buf[off + ACK + 1] << 16) | (buf[off + ACK + 2] << 8) | buf[off + ACK + 3]) >>> 0;
  out.tcpFlags = buf[off + FLAGS];
  out.window = (buf[off + WINDOW] << 8) | buf[off + WINDOW + 1];
  out.l4HdrLen = hdrLen;
  out.payloadLen = l4Len - hdrLen;
  return DecodeError.None;
}
