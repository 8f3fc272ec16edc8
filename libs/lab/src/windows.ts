/**
 * Measures each attack in the capture: its first and last packet between its sources and its
 * targets (either direction) inside a search window around the time its processes ran. Attack
 * sources are dedicated hosts that never do anything else, so within that window every such
 * packet belongs to the attack. Also checks a finished truth file against a capture.
 */
import { readIpv4Packets, ipv4ToInt, intToIpv4, type ReadResult } from './capture-read';

export interface AttackSearch {
  id: string;
  sources: string[];
  targets: string[];
  /** Wall-clock window in which the attack's processes ran (ms), widened by the caller. */
  fromMs: number;
  untilMs: number;
}

export interface MeasuredAttack {
  id: string;
  /** First / last packet, epoch µs (0 when none was seen). */
  firstUs: number;
  lastUs: number;
  packets: number;
  bytes: number;
  /** Targets that packets were actually sent to by a source (sorted). */
  targetsSeen: string[];
}

export type MeasureResult = { ok: true; capture: Extract<ReadResult, { ok: true }>; attacks: MeasuredAttack[] } | { ok: false; code: 'CAPTURE.READ'; reason: string };

interface Acc {
  id: string;
  src: Set<number>;
  dst: Set<number>;
  lo: number;
  hi: number;
  first: number;
  last: number;
  packets: number;
  bytes: number;
  seen: Set<number>;
}

export async function measureAttacks(capturePath: string, searches: AttackSearch[]): Promise<MeasureResult> {
  const accs: Acc[] = searches.map((s) => ({
    id: s.id,
    src: new Set(s.sources.map(ipv4ToInt)),
    dst: new Set(s.targets.map(ipv4ToInt)),
    lo: s.fromMs * 1000,
    hi: s.untilMs * 1000,
    first: Infinity,
    last: -Infinity,
    packets: 0,
    bytes: 0,
    seen: new Set(),
  }));
  const r = await readIpv4Packets(capturePath, (ts, a, b, len) => {
    for (const x of accs) {
      if (ts < x.lo || ts > x.hi) continue;
      const fwd = x.src.has(a) && x.dst.has(b);
      if (!fwd && !(x.src.has(b) && x.dst.has(a))) continue;
      if (fwd) x.seen.add(b);
      if (ts < x.first) x.first = ts;
      if (ts > x.last) x.last = ts;
      x.packets++;
      x.bytes += len;
    }
  });
  if (!r.ok) return r;
  return {
    ok: true,
    capture: r,
    attacks: accs.map((x) => ({
      id: x.id,
      firstUs: x.packets ? x.first : 0,
      lastUs: x.packets ? x.last : 0,
      packets: x.packets,
      bytes: x.bytes,
      targetsSeen: [...x.seen].sort((p, q) => p - q).map(intToIpv4),
    })),
  };
}

export interface TruthCheckAttack {
  id: string;
  sources: string[];
  targets: string[];
  start: number;
  end: number;
  packets: number;
}

export interface TruthCheck {
  /** Packets to or from an attack source that fall in no attack window of theirs. */
  outside: number;
  /** Per attack: packets between its sources and targets inside its window. */
  inside: Record<string, number>;
  /** Human-readable problems; empty when the truth file holds. */
  problems: string[];
}

export type TruthCheckResult = ({ ok: true } & TruthCheck) | { ok: false; code: 'CAPTURE.READ'; reason: string };

/**
 * Checks a truth file against its capture, independently of how the runner measured it:
 * every packet that touches an attack source must fall inside the window of an attack with
 * that source and the other endpoint among its targets, and every window must contain exactly
 * the number of packets the truth file claims (at least one).
 */
export async function checkTruthAgainstCapture(capturePath: string, attacks: TruthCheckAttack[]): Promise<TruthCheckResult> {
  const prepared = attacks.map((a) => ({
    id: a.id,
    src: new Set(a.sources.map(ipv4ToInt)),
    dst: new Set(a.targets.map(ipv4ToInt)),
    lo: Math.round(a.start * 1e6),
    hi: Math.round(a.end * 1e6),
    n: 0,
  }));
  const attackers = new Set(prepared.flatMap((p) => [...p.src]));
  let outside = 0;
  const examples: string[] = [];
  const r = await readIpv4Packets(capturePath, (ts, a, b) => {
    const touches = attackers.has(a) || attackers.has(b);
    let matched = false;
    for (const p of prepared) {
      const pair = (p.src.has(a) && p.dst.has(b)) || (p.src.has(b) && p.dst.has(a));
      if (pair && ts >= p.lo && ts <= p.hi) {
        p.n++;
        matched = true;
      }
    }
    if (touches && !matched) {
      outside++;
      if (examples.length < 5) examples.push(`${(ts / 1e6).toFixed(6)} ${intToIpv4(a)} > ${intToIpv4(b)}`);
    }
  });
  if (!r.ok) return r;
  const problems: string[] = [];
  if (outside > 0) problems.push(`${outside} packet(s) of attack sources outside every attack window, e.g. ${examples.join('; ')}`);
  const inside: Record<string, number> = {};
  for (const [i, p] of prepared.entries()) {
    inside[p.id] = p.n;
    if (p.n === 0) problems.push(`${p.id}: no packet inside its window`);
    else if (p.n !== attacks[i].packets) problems.push(`${p.id}: ${p.n} packets in the window, truth says ${attacks[i].packets}`);
  }
  return { ok: true, outside, inside, problems };
}
