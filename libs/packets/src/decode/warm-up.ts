/**
 * JIT warm-up for the decoders, run once per process before the first capture is decoded.
 *
 * V8 optimises decodeIpv4/decodeEthertype/decodeTransport after a few thousand packets. A branch
 * that had not run by then (the first TCP segment after a ping flood, the first IPv6 or ARP
 * frame, the first fragment) has no type feedback, so the optimised code is thrown away when it
 * first runs and compiled again: on the 1 M-packet bench capture 5 such deopts and 3 compiles
 * of decodeIpv4 in a fresh process. Decoding a small synthetic mix that takes every common path
 * gives the shared code its feedback first. Nothing here is visible to callers: a scratch
 * record, frames built here, no shared state besides the compiled code.
 */
import { PacketRecord } from '../packet';
import { decodeFrame } from './frame';

let done = false;

const MAC = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];

function ipv4(proto: number, l4: number[], frag = 0): number[] {
  const total = 20 + l4.length;
  return [0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, frag >> 8, frag & 0xff, 64, proto, 0, 0,
    10, 0, 0, 1, 192, 168, 7, 9, ...l4];
}

/** fe80::…:1 to ff02::…:2: address words above 2^31, as real IPv6 brings them (not small integers). */
function ipv6(next: number, l4: number[]): number[] {
  const src = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x8a, 0x12, 0x34, 0xff, 0xfe, 0x56, 0x78, 0x01];
  const dst = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x56, 0x78, 0x02];
  return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 0xff, next, 64, ...src, ...dst, ...l4];
}

const tcp = (flags: number, payload: number): number[] =>
  [0xc3, 0x50, 0, 80, 0xf0, 0, 0, 1, 0x80, 0, 0, 2, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0, ...new Array<number>(payload).fill(0x61)];
const tcpOptions = (): number[] =>
  [0xc3, 0x50, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x02, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1, 1, 1, 1, 0];
const udp = (payload: number): number[] => [0x30, 0x39, 0, 53, 0, 8 + payload, 0, 0, ...new Array<number>(payload).fill(0x62)];
const icmp = (type: number): number[] => [type, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3, 4];

function ethernet(type: number, payload: number[]): Buffer {
  return Buffer.from([...MAC, type >> 8, type & 0xff, ...payload]);
}

/** The frames: every common path once (Ethernet), plus a few that stop early. Exported for its spec. */
export function warmUpFrames(): Buffer[] {
  const arp = [0, 1, 0x08, 0, 6, 4, 0, 1, ...MAC.slice(6), 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2];
  const vlan = (vid: number, type: number): number[] => [vid >> 8, vid & 0xff, type >> 8, type & 0xff];
  return [
    ethernet(0x0800, ipv4(6, tcp(0x02, 0))),
    ethernet(0x0800, ipv4(6, tcp(0x18, 100))),
    ethernet(0x0800, ipv4(6, tcpOptions())),
    ethernet(0x0800, ipv4(17, udp(40))),
    ethernet(0x0800, ipv4(1, icmp(8))),
    ethernet(0x0800, ipv4(17, udp(40), 0x2000)),
    ethernet(0x0800, ipv4(17, [1, 2, 3, 4, 5, 6, 7, 8], 0x00b9)),
    ethernet(0x0800, ipv4(47, [0, 0, 0x08, 0])),
    ethernet(0x86dd, ipv6(6, tcp(0x12, 0))),
    ethernet(0x86dd, ipv6(17, udp(20))),
    ethernet(0x86dd, ipv6(58, icmp(128))),
    ethernet(0x86dd, ipv6(0, [17, 0, 1, 4, 0, 0, 0, 0, ...udp(8)])),
    ethernet(0x0806, arp),
    ethernet(0x8100, [...vlan(10, 0x0800), ...ipv4(17, udp(10))]),
    ethernet(0x88a8, [...vlan(20, 0x8100), ...vlan(30, 0x86dd), ...ipv6(6, tcp(0x10, 0))]),
    ethernet(0x88cc, [1, 2, 3, 4]),
    ethernet(0x0800, ipv4(6, tcp(0x02, 0)).slice(0, 30)),
    ethernet(0x0800, [0x45, 0, 0]),
  ];
}

/** Decodes the synthetic mix 40 times (about 700 frames); later calls return at once. */
export function warmUpDecoder(): void {
  if (done) return;
  done = true;
  const rec = new PacketRecord();
  const list = warmUpFrames();
  // Realistic epoch µs (doubles, not small integers), as captures bring them.
  let ts = 1_700_000_000_000_000;
  for (let round = 0; round < 40; round++) {
    for (const f of list) decodeFrame(1, f, 0, f.length, f.length, ts += 10, rec);
  }
}
