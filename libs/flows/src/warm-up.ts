/**
 * JIT warm-up for the flow table's hot path, run once per process.
 *
 * V8 compiles `add()`/`update()` (with their inlined helpers) after a few thousand packets. Any
 * branch that had not run by then (the first TCP packet after a ping flood, the first fragment, the
 * first out-of-order packet, the first eviction...) has no type feedback, so the optimised code
 * is thrown away when it first runs and recompiled: ~50 ms of compile each time on this machine,
 * a large share of a 1 M-packet run. Feeding a scratch table a small synthetic mix that takes
 * every path once gives the shared code its feedback up front. The scratch table is discarded;
 * nothing it does is visible to callers (no shared state besides the compiled code).
 */
import { PacketRecord } from '@netsentry/packets';
import type { FlowTable as FlowTableType } from './flow-table';

let done = false;

type Ctor = new (
  opts: { sensor: string; maxFlows?: number; idleTimeoutS?: number; activeTimeoutS?: number; activityTimeoutS?: number },
  onFlow: () => void,
) => FlowTableType;

export function warmUpFlowTable(FlowTable: Ctor): void {
  if (done) return;
  done = true;
  // activityTimeoutS < idleTimeoutS: the 1.5 s gaps below end active periods.
  const t = new FlowTable({ sensor: 'warm-up', maxFlows: 64, idleTimeoutS: 2, activeTimeoutS: 5, activityTimeoutS: 1 }, () => undefined);
  const r = new PacketRecord();
  const set = (ts: number, a: number, b: number, sp: number, dp: number, proto: number, flags: number, pay: number, v6 = false): PacketRecord => {
    r.reset();
    r.l3 = (v6 ? 6 : 4) as PacketRecord['l3'];
    r.tsUs = ts;
    // IPv6: link-local to multicast when a > b (first words differ, both above 2^31), else 2001:db8::a to 2001:db8::b.
    if (v6 && a > b) { r.src[0] = 0xfe800000; r.src[3] = a; r.dst[0] = 0xff020000; r.dst[3] = b; }
    else if (v6) { r.src[0] = 0x20010db8; r.src[3] = a; r.dst[0] = 0x20010db8; r.dst[3] = b; }
    else { r.src[2] = 0xffff; r.src[3] = a; r.dst[2] = 0xffff; r.dst[3] = b; }
    r.proto = proto; r.srcPort = sp; r.dstPort = dp; r.tcpFlags = flags; r.payloadLen = pay;
    r.l4HdrLen = proto === 6 ? 20 : 8; r.wireLen = 54 + pay; r.capLen = r.wireLen; r.ttl = 64; r.window = 1000;
    // 32-bit fields above 2^31 as the decoder writes them (heap numbers, not small integers).
    r.seq = 0xf0000000 + ts % 1000; r.ack = 0xf0000001; r.arpSenderIp = 0xc0a80001; r.arpTargetIp = 0xc0a80002;
    return r;
  };
  const A = 0x0a000001, B = 0x0a000002;
  // Realistic epoch µs (doubles, not small integers): the field representations V8 records for
  // PacketRecord and the state arrays must match what real captures bring, or code deopts later.
  let ts = 1_700_000_000_000_000;
  for (let round = 0; round < 40; round++) {
    const p = 1000 + round;
    // TCP: handshake, data both ways (bulks), FIN both ways, last ACK, then port reuse.
    t.add(set(ts += 10, A, B, p, 80, 6, 0x02, 0));
    t.add(set(ts += 10, B, A, 80, p, 6, 0x12, 0));
    t.add(set(ts += 10, A, B, p, 80, 6, 0x10, 0));
    for (let i = 0; i < 6; i++) t.add(set(ts += 10, B, A, 80, p, 6, 0x18, 1400));
    t.add(set(ts += 10, A, B, p, 80, 6, 0x11 | 0x20 | 0x40 | 0x80, 10));
    t.add(set(ts += 10, B, A, 80, p, 6, 0x11, 0));
    t.add(set(ts += 10, A, B, p, 80, 6, 0x10, 0));
    t.add(set(ts += 10, A, B, p, 80, 6, 0x02, 0));
    // Rejected SYN, SYN-ACK seen first, a late SYN from the "responder".
    t.add(set(ts += 10, A, B, p, 81, 6, 0x02, 0));
    t.add(set(ts += 10, B, A, 81, p, 6, 0x14, 0));
    t.add(set(ts += 10, B, A, 82, p, 6, 0x12, 0));
    t.add(set(ts += 10, B, A, 83, p, 6, 0x10, 5));
    t.add(set(ts += 10, A, B, p, 83, 6, 0x02, 0));
    // UDP both ways, ICMP one way, IPv6, VLAN, fragments, a packet from the past, non-IP, bad time.
    t.add(set(ts += 10, A, B, p, 53, 17, 0, 40));
    t.add(set(ts += 10, B, A, 53, p, 17, 0, 200));
    t.add(set(ts += 10, A, B + round, 0, 0, 1, 0, 56));
    t.add(set(ts += 10, A, B, p, 443, 6, 0x02, 0, true));
    t.add(set(ts += 10, B, A, p, 546, 17, 0, 60, true));
    // Shrinking payloads and TCP options: new minima one way.
    const o1 = set(ts += 10, A, B, p, 22, 6, 0x18, 300); o1.l4HdrLen = 32; t.add(o1);
    t.add(set(ts += 10, A, B, p, 22, 6, 0x18, 100));
    t.add(set(ts += 10, A, B, p, 22, 6, 0x10, 0));
    const v = set(ts += 10, A, B, p, 53, 17, 0, 40); v.vlanOuter = 10; v.vlanInner = 20; t.add(v);
    const f1 = set(ts += 10, A, B, p, 53, 17, 0, 1472); f1.isFragment = true; f1.isFirstFragment = true; t.add(f1);
    const f2 = set(ts += 10, A, B, 0, 0, 17, 0, 1480); f2.isFragment = true; t.add(f2);
    t.add(set(ts - 5, A, B, p, 53, 17, 0, 40));
    const arp = set(ts += 10, A, B, 0, 0, 0, 0, 0); arp.l3 = 0x0806 as PacketRecord['l3']; t.add(arp);
    t.add(set(NaN, A, B, p, 53, 17, 0, 40));
    // Gaps: subflows, active/idle periods, idle expiry, active timeout, eviction (maxFlows 64).
    t.add(set(ts += 1_500_000, A, B, p, 53, 17, 0, 40));
    if (round % 8 === 7) t.add(set(ts += 6_000_000, A, B, p, 53, 17, 0, 40));
    t.advance(ts + 100_000);
  }
  t.advance(ts + 10_000_000);
  // Flows still live at the end of input: one open, one closed within its grace period.
  t.add(set(ts += 10_000_000, A, B, 7, 53, 17, 0, 40));
  t.add(set(ts += 10, A, B, 8, 80, 6, 0x04, 0));
  t.flush();
}
