import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedTcp = 8, BadTcpOffset = 9 }

/** Offsets and sizes used per packet, as literals: module-level `const`s are context loads in the compiled code. */
const enum K {
  SRC_PORT = 0,
  DST_PORT = 2,
  SEQ = 4,
  ACK = 8,
  DATA_OFFSET = 12,
  FLAGS = 13,
  WINDOW = 14,
  TCP_MIN_HEADER = 20,
}

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
export const TCP_MIN_HEADER: number = K.TCP_MIN_HEADER;

/**
 * Decodes a TCP header at `off`. `capEnd` bounds the captured bytes, `l4Len` is the
 * transport length declared by the IP header (bytes from `off` to the end of the IP packet).
 */
export function decodeTcp(buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  if (capEnd - off < K.TCP_MIN_HEADER) return DecodeError.TruncatedTcp;
  const hdrLen = (buf[off + K.DATA_OFFSET] >>> 4) << 2;
  if (hdrLen < K.TCP_MIN_HEADER || hdrLen > l4Len) return DecodeError.BadTcpOffset;
  out.srcPort = (buf[off + K.SRC_PORT] << 8) | buf[off + K.SRC_PORT + 1];
  out.dstPort = (buf[off + K.DST_PORT] << 8) | buf[off + K.DST_PORT + 1];
  out.seq = ((buf[off + K.SEQ] << 24) | (buf[off + K.SEQ + 1] << 16) | (buf[off + K.SEQ + 2] << 8) | buf[off + K.SEQ + 3]) >>> 0;
  out.ack = ((buf[off + K.ACK] << 24) | (buf[off + K.ACK + 1] << 16) | (buf[off + K.ACK + 2] << 8) | buf[off + K.ACK + 3]) >>> 0;
  out.tcpFlags = buf[off + K.FLAGS];
  out.window = (buf[off + K.WINDOW] << 8) | buf[off + K.WINDOW + 1];
  out.l4HdrLen = hdrLen;
  out.payloadLen = l4Len - hdrLen;
  return DecodeError.None;
}
