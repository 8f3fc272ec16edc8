/**
 * Test helper (not part of the public API): what tshark says about a capture's TCP/UDP
 * conversations, for the flow table's agreement test.
 *
 * Two tshark views, from one tshark run, because `-z conv` prints bytes rounded to kB/MB:
 *  - `-q -z conv,tcp -z conv,udp`: frames per direction (exact) and bytes (to the printed unit);
 *  - `-T fields frame.len ip/ipv6 src/dst ports`: exact frame bytes per direction.
 * IP reassembly is switched off (`ip.defragment:FALSE`, `ipv6.defragment:FALSE`) so that, like the
 * flow table, only the first fragment of a datagram (the one with ports) counts in its UDP/TCP
 * conversation. tshark has no VLAN in its conversation key; callers sum flows over VLANs.
 */
import { execFileSync } from 'node:child_process';

/** Per conversation: frames and bytes sent by each endpoint (`ip|port`). */
export interface ConvCounts {
  /** 'tcp' | 'udp' */
  proto: string;
  a: string;
  b: string;
  framesAtoB: number;
  framesBtoA: number;
  bytesAtoB: number;
  bytesBtoA: number;
  /** Unit the byte figures were printed in (1 = exact, 1000 = kB, ...). */
  unitAtoB: number;
  unitBtoA: number;
  /** Frames tshark flagged as malformed (its conv tap skips them when the exception hits the TCP/UDP layer). */
  malformedAtoB: number;
  malformedBtoA: number;
  malformedBytesAtoB: number;
  malformedBytesBtoA: number;
}

/** The exact per-packet view: conversations, plus inner conversations of tunnels (GRE, IP-in-IP). */
export interface ExactView {
  convs: Map<string, ConvCounts>;
  /** Keys of conversations seen only inside a tunnel: tshark's conv table lists them, the flow table keys the outer header. */
  tunnelled: Set<string>;
}

const TSHARK_PREFS = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

/** Canonical conversation key: endpoints `ip|port` in sorted order. */
export function convKey(proto: string, ipA: string, portA: number, ipB: string, portB: number): string {
  const x = `${ipA}|${portA}`, y = `${ipB}|${portB}`;
  return x <= y ? `${proto} ${x} ${y}` : `${proto} ${y} ${x}`;
}

const UNITS: Record<string, number> = { bytes: 1, kB: 1000, MB: 1_000_000, GB: 1_000_000_000 };

function splitEndpoint(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

/** Both tshark views of a capture, from one tshark run (fields per packet, then the conv tables). */
export function tsharkView(file: string): { conv: Map<string, ConvCounts>; exact: ExactView } {
  const out = execFileSync('tshark', ['-n', '-r', file, ...TSHARK_PREFS, '-z', 'conv,tcp', '-z', 'conv,udp',
    '-T', 'fields', '-E', 'separator=/t',
    '-e', 'frame.len', '-e', 'frame.protocols', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
    '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', '_ws.malformed'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 512 * 1024 * 1024,
  });
  const split = out.indexOf('\n====');
  const fields = split >= 0 ? out.slice(0, split) : out;
  const tables = split >= 0 ? out.slice(split) : '';
  return { conv: parseConversations(tables), exact: parseFields(fields) };
}

/** Parses `tshark -z conv,tcp -z conv,udp` tables, summed per conversation key. */
export function parseConversations(out: string): Map<string, ConvCounts> {
  const map = new Map<string, ConvCounts>();
  let proto = '';
  const row = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB)\s/;
  for (const line of out.split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 'tcp';
    else if (line.startsWith('UDP Conversations')) proto = 'udp';
    const m = row.exec(line);
    if (!m || !proto) continue;
    const [ipA, portA] = splitEndpoint(m[1]);
    const [ipB, portB] = splitEndpoint(m[2]);
    const key = convKey(proto, ipA, portA, ipB, portB);
    const aFirst = `${ipA}|${portA}` <= `${ipB}|${portB}`;
    // Columns: "<-" = frames/bytes B->A, "->" = A->B.
    const fBA = Number(m[3]), bBA = Number(m[4]) * UNITS[m[5]], fAB = Number(m[6]), bAB = Number(m[7]) * UNITS[m[8]];
    const uBA = UNITS[m[5]], uAB = UNITS[m[8]];
    const c = map.get(key) ?? { proto, a: '', b: '', framesAtoB: 0, framesBtoA: 0, bytesAtoB: 0, bytesBtoA: 0, unitAtoB: 1, unitBtoA: 1, malformedAtoB: 0, malformedBtoA: 0, malformedBytesAtoB: 0, malformedBytesBtoA: 0 };
    const [lo, hi] = aFirst ? [`${ipA}|${portA}`, `${ipB}|${portB}`] : [`${ipB}|${portB}`, `${ipA}|${portA}`];
    c.a = lo; c.b = hi;
    if (aFirst) {
      c.framesAtoB += fAB; c.framesBtoA += fBA; c.bytesAtoB += bAB; c.bytesBtoA += bBA;
      c.unitAtoB = Math.max(c.unitAtoB, uAB); c.unitBtoA = Math.max(c.unitBtoA, uBA);
    } else {
      c.framesAtoB += fBA; c.framesBtoA += fAB; c.bytesAtoB += bBA; c.bytesBtoA += bAB;
      c.unitAtoB = Math.max(c.unitAtoB, uBA); c.unitBtoA = Math.max(c.unitBtoA, uAB);
    }
    map.set(key, c);
  }
  return map;
}

/**
 * Exact frame bytes and frames per conversation direction from tshark's per-packet fields
 * (frame.len, frame.protocols, ip/ipv6 src/dst, tcp/udp ports, _ws.malformed).
 * Only packets whose outermost transport header is TCP/UDP count (an ICMP error quoting a
 * TCP header belongs to no TCP conversation; tshark's conv table agrees).
 */
export function parseFields(out: string): ExactView {
  const map = new Map<string, ConvCounts>();
  const tunnelled = new Set<string>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [len, protos, ip4s, ip6s, ip4d, ip6d, ts, td, us, ud, malformed] = line.split('\t');
    // Skip ICMP errors (the transport header is the quoted one) and tunnels' inner layers.
    if (protos === undefined) continue;
    const layers = protos.split(':');
    const ipIdx = layers.findIndex((l) => l === 'ip' || l === 'ipv6');
    if (ipIdx < 0) continue;
    const next = layers[ipIdx + 1];
    if (next === 'icmp' || next === 'icmpv6') continue;
    if (next === 'gre' || next === 'ip' || next === 'ipv6') {
      // Tunnel: the inner conversation is tshark's, the flow table keys the outer header.
      const inner = layers.lastIndexOf('ip') > ipIdx ? layers.lastIndexOf('ip') : layers.lastIndexOf('ipv6');
      const iproto = layers[inner + 1];
      const pick = (s: string): string => { const v = s.split(','); return v[v.length - 1]; };
      const isV4 = layers[inner] === 'ip';
      const a = pick(isV4 ? ip4s : ip6s), b = pick(isV4 ? ip4d : ip6d);
      if (iproto === 'tcp') tunnelled.add(convKey('tcp', a, Number(pick(ts)), b, Number(pick(td))));
      if (iproto === 'udp') tunnelled.add(convKey('udp', a, Number(pick(us)), b, Number(pick(ud))));
      continue;
    }
    let proto: string;
    let sp: string, dp: string;
    if (next === 'tcp' && ts) { proto = 'tcp'; sp = ts; dp = td; }
    else if (next === 'udp' && us) { proto = 'udp'; sp = us; dp = ud; }
    else continue;
    const first = (s: string): string => s.split(',')[0];
    const src = layers[ipIdx] === 'ip' ? first(ip4s) : first(ip6s);
    const dst = layers[ipIdx] === 'ip' ? first(ip4d) : first(ip6d);
    const spn = Number(first(sp)), dpn = Number(first(dp));
    const key = convKey(proto, src, spn, dst, dpn);
    const srcEp = `${src}|${spn}`, dstEp = `${dst}|${dpn}`;
    const c = map.get(key) ?? { proto, a: srcEp <= dstEp ? srcEp : dstEp, b: srcEp <= dstEp ? dstEp : srcEp,
      framesAtoB: 0, framesBtoA: 0, bytesAtoB: 0, bytesBtoA: 0, unitAtoB: 1, unitBtoA: 1, malformedAtoB: 0, malformedBtoA: 0, malformedBytesAtoB: 0, malformedBytesBtoA: 0 };
    const bad = malformed !== undefined && /Malformed Packet: (TCP|UDP)\b/.test(malformed) ? 1 : 0;
    // A conversation with itself (same ip and port both ends) counts as A->B, as tshark's does.
    if (srcEp === c.a) { c.framesAtoB++; c.bytesAtoB += Number(len); c.malformedAtoB += bad; c.malformedBytesAtoB += bad * Number(len); }
    else { c.framesBtoA++; c.bytesBtoA += Number(len); c.malformedBtoA += bad; c.malformedBytesBtoA += bad * Number(len); }
    map.set(key, c);
  }
  return { convs: map, tunnelled };
}
