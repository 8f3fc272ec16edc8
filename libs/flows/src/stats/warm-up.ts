/**
 * JIT warm-up for the statistics' hot path, run once per process (as ../warm-up.ts does for the
 * flow table).
 *
 * V8 optimises `StatsBuilder.add()` (with probe, attack, the sketches and the handshake table
 * inlined) after a few thousand packets. A branch that had not run by then (the first TCP packet
 * after a ping flood, the first SYN-ACK, RST, ICMP error, fragment, ARP or IPv6 packet) has no
 * type feedback, so the optimised code is thrown away when it first runs and compiled again: on
 * the 1 M-packet bench capture, a fresh process deoptimised `add` five times, each recompile
 * ~100 ms of CPU on a compiler thread, with the packets in between run by the interpreter.
 * Feeding a scratch builder a small synthetic mix that takes every path once (small sketches, so
 * their overflow and eviction paths run too, and a few intervals, so emission runs) gives the
 * shared code its feedback up front. The scratch builder is discarded; nothing it does is
 * visible to callers (all state is per instance).
 */
import { PacketRecord } from '@netsentry/packets';
import type { StatsBuilder as StatsBuilderType, StatsBuilderOptions } from './stats.builder';

let done = false;

type Ctor = new (opts: StatsBuilderOptions, onStats: () => void) => StatsBuilderType;

/** The sensor id of the scratch builder (its constructor does not warm up again). */
export const WARM_UP_SENSOR = 'warm-up';

export function warmUpStats(StatsBuilder: Ctor): void {
  if (done) return;
  done = true;
  const b = new StatsBuilder({ sensor: WARM_UP_SENSOR, setK: 4, portK: 4, hostK: 4, serviceK: 4, handshakeSlotsLog2: 6 }, () => undefined);
  const r = new PacketRecord();
  const set = (ts: number, a: number, c: number, sp: number, dp: number, proto: number, flags: number, len: number, v6 = false): PacketRecord => {
    r.reset();
    r.l3 = (v6 ? 6 : 4) as PacketRecord['l3'];
    r.tsUs = ts;
    if (v6) { r.src[0] = 0x20010db8; r.src[3] = a; r.dst[0] = 0x20010db8; r.dst[3] = c; }
    else { r.src[2] = 0xffff; r.src[3] = a; r.dst[2] = 0xffff; r.dst[3] = c; }
    r.proto = proto; r.srcPort = sp; r.dstPort = dp; r.tcpFlags = flags; r.wireLen = len; r.capLen = len;
    // 32-bit fields above 2^31 as the decoder writes them (heap numbers, not small integers).
    r.arpSenderIp = 0xc0a80001; r.arpTargetIp = 0xc0a80002;
    return r;
  };
  const icmp = (ts: number, a: number, c: number, type: number, v6 = false): PacketRecord => {
    const p = set(ts, a, c, 0, 0, v6 ? 58 : 1, 0, 98, v6);
    p.icmpType = type;
    return p;
  };
  // Addresses above 2^31 (heap numbers) as well as small ones.
  const A = 0xc0a80a01, B = 0xc0a80a02, C = 0x0a000003;
  // Realistic epoch µs (doubles): field representations must match what real captures bring.
  let ts = 1_700_000_000_000_000;
  for (let round = 0; round < 24; round++) {
    const p = 40000 + round;
    const X = C + round; // a new host every round: sketches fill up, overflow and evict
    // Ping flood: request/reply pairs of one host pair (the last-pair and reverse-pair paths).
    for (let i = 0; i < 4; i++) {
      b.add(icmp(ts += 10, A, B, 8), i === 0);
      b.add(icmp(ts += 10, B, A, 0), false);
    }
    b.add(icmp(ts += 10, X, B, 0), false); // unanswered reply
    b.add(icmp(ts += 10, B, X, 3), false); // errors
    b.add(icmp(ts += 10, B, X, 11), false);
    b.add(icmp(ts += 10, B, X, 13), false);
    b.add(icmp(ts += 10, A, X, 128, true), true);
    b.add(icmp(ts += 10, X, A, 129, true), false);
    b.add(icmp(ts += 10, X, A, 1, true), false);
    b.add(icmp(ts += 10, X, A, 135, true), false);
    // DNS: queries and answers, a new socket each round, an answer with no query.
    b.add(set(ts += 10, A, B, p, 53, 17, 0, 80), true);
    b.add(set(ts += 10, B, A, 53, p, 17, 0, 200), false);
    b.add(set(ts += 10, A, B, p, 53, 17, 0, 80), false);
    b.add(set(ts += 10, B, A, 53, p, 17, 0, 200), false);
    b.add(set(ts += 10, B, X, 53, p, 17, 0, 200), true); // a service's reply opening a flow
    b.add(set(ts += 10, X, B, p, 53, 17, 0, 80), false); // not pending
    b.add(set(ts += 10, A, X, p, 5000 + round, 17, 0, 80, true), true);
    // TCP: handshake, data both ways, a rejected SYN, a SYN-ACK first, a bare RST.
    b.add(set(ts += 10, A, B, p, 80, 6, 0x02, 74), true);
    b.add(set(ts += 10, B, A, 80, p, 6, 0x12, 74), false);
    b.add(set(ts += 10, A, B, p, 80, 6, 0x10, 66), false);
    for (let i = 0; i < 3; i++) {
      b.add(set(ts += 10, B, A, 80, p, 6, 0x18, 1514), false);
      b.add(set(ts += 10, A, B, p, 80, 6, 0x10, 66), false);
    }
    b.add(set(ts += 10, A, X, p, 81 + round, 6, 0x02, 74), true);
    b.add(set(ts += 10, X, A, 81 + round, p, 6, 0x14, 60), false);
    b.add(set(ts += 10, X, A, 443, p, 6, 0x12, 74), true);
    b.add(set(ts += 10, A, X, p, 443, 6, 0x10, 66), false);
    b.add(set(ts += 10, X, B, p, 22, 6, 0x04, 60), true);
    b.add(set(ts += 10, A, B, p, 443, 6, 0x02, 94, true), true);
    b.add(set(ts += 10, B, A, 443, p, 6, 0x12, 94, true), false);
    // Fragments (first and later), another protocol, ARP request and reply, non-IP.
    const f1 = set(ts += 10, A, B, p, 53, 17, 0, 1514); f1.isFragment = true; f1.isFirstFragment = true; b.add(f1, true);
    const f2 = set(ts += 10, A, B, 0, 0, 17, 0, 1514); f2.isFragment = true; b.add(f2, false);
    const f3 = icmp(ts += 10, A, B, 8); f3.isFragment = true; b.add(f3, false);
    b.add(set(ts += 10, A, B, 0, 0, 47, 0, 120), true);
    b.add(set(ts += 10, A, B, 0, 0, 47, 0, 120), false);
    for (const op of [1, 2]) {
      const arp = set(ts += 10, 0, 0, 0, 0, 0, 0, 60);
      arp.l3 = 0x0806 as PacketRecord['l3'];
      arp.arpOp = op;
      arp.arpSenderIp = op === 1 ? A : B + round;
      arp.arpTargetIp = op === 1 ? B + round : A;
      b.add(arp, false);
    }
    const other = set(ts += 10, 0, 0, 0, 0, 0, 0, 60);
    other.l3 = 0 as PacketRecord['l3'];
    b.add(other, false);
    // A new interval every few rounds: emission, by a watermark and by the next packet itself
    // (add's own interval check; without it the first second of a capture ended in a deopt).
    if (round % 6 === 5) {
      ts += 1_000_000;
      if (round % 12 === 5) b.advance(ts);
    }
  }
  b.flush();
}
