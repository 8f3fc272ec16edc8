import { DecodeError } from './errors';
import { decodeEthertype } from './ethertype';
import type { PacketRecord } from '../packet';

/*
 * Ethernet II (LINKTYPE_ETHERNET = 1), 14 bytes:
 *   0  destination MAC (6) | 6  source MAC (6) | 12  EtherType u16
 * An EtherType below 0x0600 is an 802.3 length: then an 802.2 LLC header follows; with SNAP
 * (DSAP 0xaa, SSAP 0xaa, control 0x03) it is OUI (3) + EtherType u16, which we follow.
 */
const ETHERTYPE = 12;
export const ETH_HEADER = 14;
const SNAP_HEADER = 8;

export function decodeEthernet(buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  if (capEnd - off < ETH_HEADER) return DecodeError.TruncatedLink;
  const type = (buf[off + ETHERTYPE] << 8) | buf[off + ETHERTYPE + 1];
  const p = off + ETH_HEADER;
  if (type >= 0x0600) return decodeEthertype(type, buf, p, capEnd, out);
  if (capEnd - p >= SNAP_HEADER && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03) {
    return decodeEthertype((buf[p + 6] << 8) | buf[p + 7], buf, p + SNAP_HEADER, capEnd, out);
  }
  return DecodeError.None;
}
