import { decodeTcp } from './tcp';
import { decodeUdp } from './udp';
import { decodeIcmp } from './icmp';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0 }

/** Dispatches on the IP protocol number; other protocols are recorded by number only. */
export function decodeTransport(proto: number, buf: Buffer, off: number, capEnd: number, l4Len: number, out: PacketRecord): number {
  switch (proto) {
    case 6:
      return decodeTcp(buf, off, capEnd, l4Len, out);
    case 17:
      return decodeUdp(buf, off, capEnd, l4Len, out);
    case 1:
    case 58:
      return decodeIcmp(buf, off, capEnd, l4Len, out);
    default:
      out.payloadLen = l4Len;
      return DecodeError.None;
  }
}
