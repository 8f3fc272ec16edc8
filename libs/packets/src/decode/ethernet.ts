import { decodeEthertype } from './ethertype';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedLink = 2 }

/** Offsets and sizes used per packet, as literals: module-level `const`s are context loads in the compiled code. */
const enum K {
  ETHERTYPE = 12,
  ETH_HEADER = 14,
  SNAP_HEADER = 8,
}

/*
 * Ethernet II (LINKTYPE_ETHERNET = 1), 14 bytes:
 *   0  destination MAC (6) | 6  source MAC (6) | 12  EtherType u16
 * An EtherType below 0x0600 is an 802.3 length: then an 802.2 LLC header follows; with SNAP
 * (DSAP 0xaa, SSAP 0xaa, control 0x03) it is OUI (3) + EtherType u16, which we follow.
 */
export const ETH_HEADER: number = K.ETH_HEADER;

export function decodeEthernet(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < K.ETH_HEADER) return DecodeError.TruncatedLink;
  const type = (buf[off + K.ETHERTYPE] << 8) | buf[off + K.ETHERTYPE + 1];
  const p = off + K.ETH_HEADER;
  if (type >= 0x0600) return decodeEthertype(type, buf, p, capEnd, out);
  if (capEnd - p >= K.SNAP_HEADER && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03) {
    return decodeEthertype((buf[p + 6] << 8) | buf[p + 7], buf, p + K.SNAP_HEADER, capEnd, out);
  }
  return DecodeError.None;
}
