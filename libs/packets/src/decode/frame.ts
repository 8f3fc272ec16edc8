import { decodeEthernet } from './ethernet';
import { decodeSll, decodeSll2 } from './sll';
import { decodeLoop, decodeNull, decodeRawIp } from './raw';
import type { PacketRecord } from '../packet';

// The codes of errors.ts this file returns, as literals of this file (see DecodeError there).
const enum DecodeError { None = 0, UnsupportedLink = 1, BadCaptureLength = 13 }

/** LINKTYPE_* values (tcpdump.org/linktypes.html) that the decoder understands. */
export const enum LinkType {
  Null = 0,
  Ethernet = 1,
  /** DLT_RAW as written by some BSD/Linux builds instead of 101. */
  RawDlt12 = 12,
  RawDlt14 = 14,
  Raw = 101,
  Loop = 108,
  LinuxSll = 113,
  Ipv4 = 228,
  Ipv6 = 229,
  LinuxSll2 = 276,
}

/** True when {@link decodeFrame} decodes this link type. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276:
      return true;
    default:
      return false;
  }
}

/**
 * Decodes one frame of `capLen` bytes at `buf[off]` into `out` (which it resets first).
 * Returns 0 (DecodeError.None) when decoded, else a DecodeError code; never throws and never
 * reads outside `buf[off, off + capLen)`. A frame whose network layer is not IPv4/IPv6/ARP
 * decodes successfully with `out.l3 === L3.None`.
 */
export function decodeFrame(linkType: number, buf: Buffer, off: number, capLen: number, wireLen: number, tsUs: number, out: PacketRecord): number {
  out.reset();
  out.tsUs = tsUs;
  out.wireLen = wireLen;
  out.capLen = capLen;
  out.linkType = linkType;
  // Written negated so NaN and non-numbers fail too.
  if (!(off >= 0 && capLen >= 0 && off + capLen <= buf.length)) return DecodeError.BadCaptureLength;
  const end = off + capLen;
  out.wireEnd = off + (wireLen > capLen ? wireLen : capLen);
  switch (linkType) {
    case 1:
      return decodeEthernet(buf, off, end, out);
    case 113:
      return decodeSll(buf, off, end, out);
    case 276:
      return decodeSll2(buf, off, end, out);
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return decodeRawIp(buf, off, end, out);
    case 0:
      return decodeNull(buf, off, end, out);
    case 108:
      return decodeLoop(buf, off, end, out);
    default:
      return DecodeError.UnsupportedLink;
  }
}
