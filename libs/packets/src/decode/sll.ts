import { decodeEthertype } from './ethertype';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { TruncatedLink = 2 }

/*
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL = 113), 16 bytes:
 *   0  packet type u16 | 2  ARPHRD type u16 | 4  link-layer address length u16
 *   6  link-layer address (8, padded) | 14  protocol (EtherType) u16
 *
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 = 276), 20 bytes:
 *   0  protocol (EtherType) u16 | 2  reserved u16 | 4  interface index u32
 *   8  ARPHRD type u16 | 10  packet type u8 | 11  address length u8 | 12  address (8, padded)
 */
export const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;
export const SLL2_HEADER = 20;
const SLL2_PROTOCOL = 0;

export function decodeSll(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < SLL_HEADER) return DecodeError.TruncatedLink;
  const type = (buf[off + SLL_PROTOCOL] << 8) | buf[off + SLL_PROTOCOL + 1];
  return decodeEthertype(type, buf, off + SLL_HEADER, capEnd, out);
}

export function decodeSll2(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < SLL2_HEADER) return DecodeError.TruncatedLink;
  const type = (buf[off + SLL2_PROTOCOL] << 8) | buf[off + SLL2_PROTOCOL + 1];
  return decodeEthertype(type, buf, off + SLL2_HEADER, capEnd, out);
}
