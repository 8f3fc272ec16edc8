import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';
import { decodeArp } from './arp';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, TruncatedLink = 2 }

/*
 * What follows an EtherType (Ethernet, Linux cooked capture, VLAN tags):
 *   0x0800 IPv4 | 0x86dd IPv6 | 0x0806 ARP
 *   0x8100 / 0x88a8 / 0x9100 802.1Q / 802.1ad tag: TCI u16 (PCP 3 | DEI 1 | VLAN id 12) | EtherType u16
 *   0x8864 PPPoE session: ver/type u8 | code u8 | session u16 | length u16 | PPP protocol u16
 *          (0x0021 IPv4, 0x0057 IPv6)
 *   0x8847 / 0x8848 MPLS: label stack entries u32 (bottom-of-stack bit 0x100), then IPv4/IPv6 by version
 * Anything else is a valid frame without a network layer we decode (l3 stays None).
 */
export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;
export const ETH_PPPOE_SESSION = 0x8864;
export const ETH_MPLS = 0x8847;
export const ETH_MPLS_MC = 0x8848;
const VLAN_TAG = 4;
const PPPOE_HEADER = 8;
const MPLS_ENTRY = 4;
/** Bounds the tag and label loops on hostile input. */
const MAX_TAGS = 8;

export function decodeEthertype(type: number, buf: Buffer, off: number, capEnd: number, out: PacketRecord): number {
  for (let tags = 0; tags < MAX_TAGS; tags++) {
    switch (type) {
      case ETH_IPV4:
        return decodeIpv4(buf, off, capEnd, out);
      case ETH_IPV6:
        return decodeIpv6(buf, off, capEnd, out);
      case ETH_ARP:
        return decodeArp(buf, off, capEnd, out);
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD: {
        if (capEnd - off < VLAN_TAG) return DecodeError.TruncatedLink;
        const vid = ((buf[off] << 8) | buf[off + 1]) & 0x0fff;
        if (tags === 0) out.vlanOuter = vid;
        else if (tags === 1) out.vlanInner = vid;
        type = (buf[off + 2] << 8) | buf[off + 3];
        off += VLAN_TAG;
        break;
      }
      case ETH_PPPOE_SESSION: {
        if (capEnd - off < PPPOE_HEADER) return DecodeError.TruncatedLink;
        const ppp = (buf[off + 6] << 8) | buf[off + 7];
        off += PPPOE_HEADER;
        if (ppp === 0x0021) return decodeIpv4(buf, off, capEnd, out);
        if (ppp === 0x0057) return decodeIpv6(buf, off, capEnd, out);
        return DecodeError.None;
      }
      case ETH_MPLS:
      case ETH_MPLS_MC: {
        let bottom = false;
        for (let n = 0; n < MAX_TAGS && !bottom; n++) {
          if (capEnd - off < MPLS_ENTRY) return DecodeError.TruncatedLink;
          bottom = (buf[off + 2] & 0x01) !== 0;
          off += MPLS_ENTRY;
        }
        if (!bottom || capEnd - off < 1) return DecodeError.TruncatedLink;
        const ver = buf[off] >>> 4;
        if (ver === 4) return decodeIpv4(buf, off, capEnd, out);
        if (ver === 6) return decodeIpv6(buf, off, capEnd, out);
        return DecodeError.None;
      }
      default:
        return DecodeError.None;
    }
  }
  return DecodeError.TruncatedLink;
}
