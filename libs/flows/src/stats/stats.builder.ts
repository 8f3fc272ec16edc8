import type {
  DestinationStatsEntityV1,
  DistinctIpsV1,
  DistinctPortsV1,
  GlobalStatsEntityV1,
  HostCountV1,
  ProtocolCountsV1,
  SourceHostV1,
  SourceServiceV1,
  SourceStatsEntityV1,
  StatsV1,
} from '@netsentry/contracts';
import { ipToString, type PacketRecord } from '@netsentry/packets';
import { BottomK } from './bottom-k';
import { HandshakeTable } from './handshakes';
import { warmUpStats, WARM_UP_SENSOR } from './warm-up';
import * as hash from './hash';

// Hot-path constants and functions are module-level locals on purpose: compiled to CommonJS
// (swc), every imported binding and const enum member is a getter call on the other module's
// exports object, on every packet (the values are those of @netsentry/packets' L3, IpProto and
// TcpFlag, and of ./handshakes' Pending).
const L3_IPV4 = 4, L3_IPV6 = 6, L3_ARP = 0x0806;
const TCP = 6, UDP = 17, ICMP = 1, ICMPV6 = 58;
const F_SYN = 0x02, F_RST = 0x04, F_ACK = 0x10;
const PENDING_SYN = 1, PENDING_SYNACK = 2, PENDING_DATAGRAM = 3;
/** libs/packets MAX_TS_US (year 5138), as a literal for the hot path (see above). */
const MAX_TS_US = 1e17;
const hashWords = hash.hashWords;
const hashPort = hash.hashPort;
const hashService = hash.hashService;

export interface StatsBuilderOptions {
  /** Sensor id the packets come from. */
  sensor: string;
  /** This aggregator instance (partials from different instances are merged downstream). Default `main`. */
  instance?: string;
  /** Interval length in seconds (default 1). */
  intervalS?: number;
  /** Hosts in the global top-N lists (default 10). */
  topN?: number;
  /** Sketch size of distinct host sets: dstHosts, sources, arpTargets, per-service hosts (default 1024). */
  setK?: number;
  /** Sketch size of per-host port sets (default 128). */
  portK?: number;
  /** Destination hosts listed per source (default 1024). */
  hostK?: number;
  /** Services listed per source (default 256). */
  serviceK?: number;
  /** log2 of the handshake table size (default 17: 131 072 slots, 1.2 MB). */
  handshakeSlotsLog2?: number;
}

/** Indexes into the 12-slot protocol counter arrays (packets at 2i, bytes at 2i+1). */
const enum P { Tcp = 0, Udp = 1, Icmp = 2, Icmp6 = 3, Arp = 4, Other = 5 }

/** Keys below 2^32 are IPv4 addresses; IPv6 addresses get 2^32 + a 52-bit hash and are interned. */
const V4_LIMIT = 4294967296;
const V4_MAPPED = 0xffff;

class HostAgg {
  packets = 0;
  bytes = 0;
  probes = 0;
  failed = 0;
  ports: BottomK<true> | null = null;
  open: BottomK<true> | null = null;
}

class SrcAgg {
  packets = 0;
  bytes = 0;
  newFlows = 0;
  /** ARP sets, made on a source's first ARP request / reply (most sources never send ARP). */
  arpTargets: BottomK<true> | null = null;
  arpReplies: BottomK<true> | null = null;
  constructor(
    readonly dstHosts: BottomK<true>,
    readonly dstPorts: BottomK<true>,
    readonly hosts: BottomK<HostAgg>,
    readonly services: BottomK<BottomK<true>>,
  ) {}
}

class DstAgg {
  packets = 0;
  bytes = 0;
  syns = 0;
  handshakes = 0;
  udpAnswers = 0;
  icmpAnswers = 0;
  readonly proto = new Float64Array(12);
  constructor(
    readonly sources: BottomK<true>,
    readonly synPorts: BottomK<true>,
    readonly udpPorts: BottomK<true>,
    readonly attackers: BottomK<Attacker>,
  ) {}
}

class Attacker {
  packets = 0;
}

const TRUE = (): true => true;
// Sketch factories and hashes shared by every builder (one call target each; see addrSet).
const newHost = (): HostAgg => new HostAgg();
const newAttacker = (): Attacker => new Attacker();
const serviceHash = (key: number): number => hashService(Math.floor(key / 65536), key % 65536);

/**
 * Builds per-interval traffic statistics from decoded packets (mechanism only: the rules in
 * libs/detection decide what they mean). Everything inside an interval is keyed by numbers;
 * text (addresses, messages) is made only when an interval is emitted.
 *
 * Time is packet time. An interval is emitted when a packet or `advance` reaches a later
 * interval; a packet older than the open interval is counted in the open interval.
 */
export class StatsBuilder {
  /** Packets refused for their time (see add). */
  badTime = 0;
  readonly sensor: string;
  readonly instance: string;
  readonly intervalS: number;
  private readonly intervalUs: number;
  private readonly topN: number;
  private readonly setK: number;
  private readonly portK: number;
  private readonly hostK: number;
  private readonly serviceK: number;

  /** Index of the open interval (floor(tsUs / intervalUs)), -1 before the first packet. */
  private current = -1;
  private gPackets = 0;
  private gBytes = 0;
  private gNewFlows = 0;
  private readonly gProto = new Float64Array(12);
  private srcs = new Map<number, SrcAgg>();
  private dsts = new Map<number, DstAgg>();
  private v6 = new Map<number, Uint32Array>();
  /**
   * Empty sets, shared by every message of this builder (frozen: messages are read, never
   * changed; most sources of a busy interval have no ARP and no answered port).
   */
  private noPorts!: DistinctPortsV1;
  private noIps!: DistinctIpsV1;
  /** Address text by key while an interval is emitted. */
  private readonly names = new Map<number, string>();
  private readonly hs: HandshakeTable;
  /** The last packet's (src, dst) words and lookups; cleared when an interval is emitted. */
  private readonly lastPair = new Uint32Array(8);
  private lastSk = 0;
  private lastDk = 0;
  private lastS: SrcAgg | null = null;
  private lastH: HostAgg | undefined = undefined;
  private lastD: DstAgg | null = null;
  /**
   * The lookups of the reverse pair (lastPair's dst → src), kept only while every packet since
   * they were made belonged to one of the two directions: then no other key reached the two
   * sources' host samples, so the cached host entries are still the ones a lookup would return.
   */
  private revSk = 0;
  private revDk = 0;
  private revS: SrcAgg | null = null;
  private revH: HostAgg | undefined = undefined;
  private revD: DstAgg | null = null;

  private readonly addrHash = (key: number): number => {
    if (key < V4_LIMIT) return hashWords(0, 0, V4_MAPPED, key);
    const w = this.v6.get(key)!;
    return hashWords(w[0], w[1], w[2], w[3]);
  };
  /** The services sketch's factory (a closure: it needs this builder's setK and addresses). */
  private readonly newSet = (): BottomK<true> => this.addrSet();

  constructor(opts: StatsBuilderOptions, private readonly onStats: (s: StatsV1) => void) {
    // Type feedback for every branch before V8 optimises add() (once per process; see warm-up.ts).
    if (opts.sensor !== WARM_UP_SENSOR) warmUpStats(StatsBuilder);
    this.sensor = opts.sensor;
    this.instance = opts.instance ?? 'main';
    this.intervalS = opts.intervalS ?? 1;
    if (!(this.intervalS > 0 && this.intervalS <= 3600)) throw new RangeError(`intervalS must be in (0, 3600], got ${this.intervalS}`);
    this.intervalUs = Math.round(this.intervalS * 1e6);
    this.topN = opts.topN ?? 10;
    this.setK = opts.setK ?? 1024;
    this.portK = opts.portK ?? 128;
    this.hostK = opts.hostK ?? 1024;
    this.serviceK = opts.serviceK ?? 256;
    this.hs = new HandshakeTable(opts.handshakeSlotsLog2 ?? 17);
    this.noPorts = Object.freeze({ n: 0, exact: true, k: this.portK, items: Object.freeze([]) as unknown as number[], overflow: 0 });
    this.noIps = Object.freeze({ n: 0, exact: true, k: this.setK, items: Object.freeze([]) as unknown as string[], overflow: 0 });
  }

  /**
   * Counts one decoded packet. `newFlow`: the flow table opened a flow with this packet. A time
   * that is negative, not a number or at or past MAX_TS_US is counted in `badTime` and nothing
   * else (it would open an interval past all real traffic; the flow table refuses it too).
   */
  add(rec: PacketRecord, newFlow: boolean): void {
    const ts = rec.tsUs;
    if (!(ts >= 0 && ts < MAX_TS_US)) {
      this.badTime++;
      return;
    }
    const idx = Math.floor(ts / this.intervalUs);
    if (idx > this.current) {
      if (this.current >= 0) this.emit();
      this.current = idx;
    }
    const wire = rec.wireLen;
    this.gPackets++;
    this.gBytes += wire;
    if (newFlow) this.gNewFlows++;

    if (rec.l3 === L3_ARP) {
      this.gProto[2 * P.Arp]++;
      this.gProto[2 * P.Arp + 1] += wire;
      // ARP requests name the hosts a sender looks for on its segment; gratuitous ARP names itself.
      if (rec.arpOp === 1 && rec.arpSenderIp !== rec.arpTargetIp) {
        // Local-segment targets are destination hosts too, though not IP flows.
        const a = this.src(rec.arpSenderIp);
        (a.arpTargets ??= this.addrSet()).add(rec.arpTargetIp);
        a.dstHosts.add(rec.arpTargetIp);
      } else if (rec.arpOp === 2 && rec.arpSenderIp !== rec.arpTargetIp) {
        // A reply to the requester (the target): same flow hash as the request, same instance.
        const r = this.src(rec.arpTargetIp);
        (r.arpReplies ??= this.addrSet()).add(rec.arpSenderIp);
      }
      return;
    }
    if (rec.l3 !== L3_IPV4 && rec.l3 !== L3_IPV6) {
      this.gProto[2 * P.Other]++;
      this.gProto[2 * P.Other + 1] += wire;
      return;
    }

    const proto = rec.proto;
    const pi = proto === TCP ? P.Tcp : proto === UDP ? P.Udp : proto === ICMP ? P.Icmp : proto === ICMPV6 ? P.Icmp6 : P.Other;
    this.gProto[2 * pi]++;
    this.gProto[2 * pi + 1] += wire;

    // Consecutive packets of one host pair (bulk transfers, floods) reuse the last lookups.
    const ws = rec.src, wd = rec.dst, lp = this.lastPair;
    let sk: number, dk: number, s: SrcAgg, h: HostAgg | undefined, d: DstAgg;
    if (this.lastS !== null && ws[3] === lp[3] && wd[3] === lp[7] && ws[2] === lp[2] && wd[2] === lp[6] &&
        ws[1] === lp[1] && wd[1] === lp[5] && ws[0] === lp[0] && wd[0] === lp[4]) {
      sk = this.lastSk; dk = this.lastDk; s = this.lastS; h = this.lastH; d = this.lastD!;
    } else if (this.lastS !== null && ws[3] === lp[7] && wd[3] === lp[3] && ws[2] === lp[6] && wd[2] === lp[2] &&
        ws[1] === lp[5] && wd[1] === lp[1] && ws[0] === lp[4] && wd[0] === lp[0]) {
      // The answer direction of the last pair (request/answer traffic alternates).
      if (this.revS !== null) {
        sk = this.revSk; dk = this.revDk; s = this.revS; h = this.revH; d = this.revD!;
      } else {
        sk = this.lastDk;
        dk = this.lastSk;
        s = this.src(sk);
        s.dstHosts.add(dk);
        h = s.hosts.slot(dk);
        d = this.dst(dk);
        d.sources.add(sk);
      }
      this.revSk = this.lastSk; this.revDk = this.lastDk; this.revS = this.lastS; this.revH = this.lastH; this.revD = this.lastD;
      lp[0] = ws[0]; lp[1] = ws[1]; lp[2] = ws[2]; lp[3] = ws[3];
      lp[4] = wd[0]; lp[5] = wd[1]; lp[6] = wd[2]; lp[7] = wd[3];
      this.lastSk = sk; this.lastDk = dk; this.lastS = s; this.lastH = h; this.lastD = d;
    } else {
      this.revS = null;
      this.revH = undefined;
      this.revD = null;
      sk = this.key(ws);
      dk = this.key(wd);
      s = this.src(sk);
      s.dstHosts.add(dk);
      h = s.hosts.slot(dk);
      d = this.dst(dk);
      d.sources.add(sk);
      // Element stores: TypedArray.prototype.set is a builtin call, and this branch runs on
      // every change of host pair (request/answer traffic alternates directions).
      lp[0] = ws[0]; lp[1] = ws[1]; lp[2] = ws[2]; lp[3] = ws[3];
      lp[4] = wd[0]; lp[5] = wd[1]; lp[6] = wd[2]; lp[7] = wd[3];
      this.lastSk = sk; this.lastDk = dk; this.lastS = s; this.lastH = h; this.lastD = d;
    }
    s.packets++;
    s.bytes += wire;
    if (newFlow) s.newFlows++;
    if (h !== undefined) {
      h.packets++;
      h.bytes += wire;
    }
    d.packets++;
    d.bytes += wire;
    d.proto[2 * pi]++;
    d.proto[2 * pi + 1] += wire;

    // Later fragments carry no transport header (and cannot be told apart from a flood).
    if (rec.isFragment && !rec.isFirstFragment) {
      if (proto === UDP || proto === ICMP || proto === ICMPV6) this.attack(d, sk);
      return;
    }

    switch (proto) {
      case TCP: {
        const f = rec.tcpFlags;
        if ((f & F_SYN) !== 0) {
          if ((f & F_ACK) === 0) {
            d.syns++;
            d.synPorts.add(rec.dstPort);
            this.attack(d, sk);
            this.probe(s, h, dk, TCP, rec.dstPort);
            this.hs.hash(rec.src, rec.srcPort, rec.dst, rec.dstPort, TCP);
            this.hs.set(PENDING_SYN);
          } else {
            // SYN-ACK: the port answered the initiator (rec.dst).
            this.openPort(dk, sk, rec.srcPort);
            this.hs.hash(rec.dst, rec.dstPort, rec.src, rec.srcPort, TCP);
            if (this.hs.get() === PENDING_SYN) this.hs.set(PENDING_SYNACK);
          }
        } else if ((f & F_RST) !== 0) {
          this.hs.hash(rec.dst, rec.dstPort, rec.src, rec.srcPort, TCP);
          if (this.hs.get() === PENDING_SYN) {
            this.hs.clear();
            const r = this.hostOf(dk, sk);
            if (r !== undefined) r.failed++;
          }
        } else if ((f & F_ACK) !== 0) {
          // The initiator's ACK completes the handshake; the SYN-ACK may be missing from a
          // one-direction capture (asymmetric routing), and a spoofed SYN never gets an ACK.
          this.hs.hash(rec.src, rec.srcPort, rec.dst, rec.dstPort, TCP);
          const pending = this.hs.get();
          if (pending === PENDING_SYNACK || pending === PENDING_SYN) {
            this.hs.clear();
            d.handshakes++;
          }
        }
        break;
      }
      case UDP:
        d.udpPorts.add(rec.dstPort);
        if (newFlow) {
          // A flow opened from a service port to a high port is an answer whose request was
          // not seen (one-direction capture, reflection): not a probe.
          if (!isServiceReply(rec.srcPort, rec.dstPort)) this.probe(s, h, dk, UDP, rec.dstPort);
          this.hs.hash(rec.src, rec.srcPort, rec.dst, rec.dstPort, UDP);
          this.hs.set(PENDING_DATAGRAM);
          this.attack(d, sk);
        } else {
          // A packet back on a flow the destination opened is an answer (kept pending: every
          // answer of the flow counts).
          this.hs.hash(rec.dst, rec.dstPort, rec.src, rec.srcPort, UDP);
          if (this.hs.get() === PENDING_DATAGRAM) {
            d.udpAnswers++;
            this.openPort(dk, sk, rec.srcPort);
          } else {
            this.attack(d, sk);
          }
        }
        break;
      case ICMP:
      case ICMPV6: {
        const t = rec.icmpType;
        const v6 = proto === ICMPV6;
        if (v6 ? t === 128 : t === 8) {
          // Echo request: remember the pair, so its replies are known as answers. Request and
          // reply share a flow hash (no ports), so they reach the same aggregator instance.
          this.probe(s, h, dk, proto, -1);
          this.hs.hash(rec.src, 0, rec.dst, 0, proto);
          this.hs.set(PENDING_DATAGRAM);
          this.attack(d, sk);
        } else if (v6 ? t === 129 : t === 0) {
          this.hs.hash(rec.dst, 0, rec.src, 0, proto);
          if (this.hs.get() === PENDING_DATAGRAM) d.icmpAnswers++;
          else this.attack(d, sk);
        } else if (v6 ? t < 128 : t === 3 || t === 4 || t === 5 || t === 11 || t === 12) {
          // Errors always answer a packet the destination sent.
          d.icmpAnswers++;
          if (v6 ? t === 1 : t === 3) this.fail(dk, sk);
        } else {
          this.attack(d, sk);
        }
        break;
      }
      default:
        if (newFlow && h !== undefined) h.probes++;
    }
  }

  /** Moves packet time forward (a watermark): emits the open interval once `tsUs` is past it. */
  advance(tsUs: number): void {
    if (this.current >= 0 && Math.floor(tsUs / this.intervalUs) > this.current) {
      this.emit();
      this.current = -1;
    }
  }

  /** Emits the open interval (end of input). */
  flush(): void {
    if (this.current >= 0) this.emit();
    this.current = -1;
  }

  // ---- per-packet helpers (numbers only) ----

  private key(w: Uint32Array): number {
    if (w[0] === 0 && w[1] === 0 && w[2] === V4_MAPPED) return w[3];
    const key = V4_LIMIT + Math.floor(hashWords(w[0], w[1], w[2], w[3]) / 2);
    if (!this.v6.has(key)) this.v6.set(key, Uint32Array.from(w));
    return key;
  }

  private src(key: number): SrcAgg {
    let s = this.srcs.get(key);
    if (s === undefined) {
      s = new SrcAgg(
        this.addrSet(),
        this.portSet(),
        new BottomK<HostAgg>(this.hostK, this.addrHash, newHost),
        new BottomK<BottomK<true>>(this.serviceK, serviceHash, this.newSet),
      );
      this.srcs.set(key, s);
    }
    return s;
  }

  private dst(key: number): DstAgg {
    let d = this.dsts.get(key);
    if (d === undefined) {
      d = new DstAgg(this.addrSet(), this.portSet(), this.portSet(), new BottomK<Attacker>(this.hostK, this.addrHash, newAttacker));
      this.dsts.set(key, d);
    }
    return d;
  }

  /** The host entry of source `srcKey` for destination `dstKey` (undefined outside the sample). */
  private hostOf(srcKey: number, dstKey: number): HostAgg | undefined {
    return this.src(srcKey).hosts.slot(dstKey);
  }

  // Direct calls go through methods, not per-instance arrow functions: a call site then has one
  // target in every builder, so what the warm-up's scratch builder taught V8 holds for the real one
  // (with closures, the first real call was a "wrong call target" deopt).
  /** A sample of addresses, this builder's size. */
  private addrSet(): BottomK<true> {
    return new BottomK<true>(this.setK, this.addrHash, TRUE);
  }

  /** A sample of ports, this builder's size. */
  private portSet(): BottomK<true> {
    return new BottomK<true>(this.portK, hashPort, TRUE);
  }

  /** A probe from s to host dk on (proto, port); port -1 for ICMP echo (service port 0, no port). */
  private probe(s: SrcAgg, h: HostAgg | undefined, dk: number, proto: number, port: number): void {
    if (port >= 0) s.dstPorts.add(port);
    if (h !== undefined) {
      h.probes++;
      if (port >= 0) (h.ports ??= this.portSet()).add(port);
    }
    s.services.slot(proto * 65536 + (port < 0 ? 0 : port))?.add(dk);
  }

  /** One attack-like packet from source `sk` to `d`. */
  private attack(d: DstAgg, sk: number): void {
    const a = d.attackers.slot(sk);
    if (a !== undefined) a.packets++;
  }

  private openPort(initiator: number, responder: number, port: number): void {
    const h = this.hostOf(initiator, responder);
    if (h !== undefined) (h.open ??= this.portSet()).add(port);
  }

  private fail(initiator: number, responder: number): void {
    const h = this.hostOf(initiator, responder);
    if (h !== undefined) h.failed++;
  }

  // ---- emission (text is made here, once per entity and interval) ----

  private emit(): void {
    const start = (this.current * this.intervalUs) / 1e6;
    const sensor = this.sensor, instance = this.instance, intervalS = this.intervalS;
    // Address text is made once per address and interval: a destination's text is shared by
    // every source entry naming it, a source's by the destination lists naming it.
    this.names.clear();
    const fmt = this.fmt;

    const srcKeys = sortedKeys(this.srcs);
    const dstKeys = sortedKeys(this.dsts);
    const global: GlobalStatsEntityV1 = {
      kind: 'global',
      packets: this.gPackets,
      bytes: this.gBytes,
      protocols: protocols(this.gProto),
      newFlows: this.gNewFlows,
      topSources: this.top(srcKeys, this.srcs),
      topDestinations: this.top(dstKeys, this.dsts),
    };
    this.onStats({ sensor, instance, start, intervalS, entity: global });

    for (let i = 0; i < srcKeys.length; i++) {
      const key = srcKeys[i];
      const s = this.srcs.get(key)!;
      const hostKeys = s.hosts.keysByHash();
      const hosts = new Array<SourceHostV1>(hostKeys.length);
      for (let j = 0; j < hostKeys.length; j++) {
        const hk = hostKeys[j];
        const h = s.hosts.get(hk)!;
        hosts[j] = {
          ip: fmt(hk),
          packets: h.packets,
          bytes: h.bytes,
          probes: h.probes,
          ports: h.ports !== null ? ports(h.ports) : this.noPorts,
          open: h.open !== null ? ports(h.open) : this.noPorts,
          failed: h.failed,
        };
      }
      const serviceKeys = s.services.keysByHash();
      const services = new Array<SourceServiceV1>(serviceKeys.length);
      for (let j = 0; j < serviceKeys.length; j++) {
        const sk = serviceKeys[j];
        services[j] = { proto: Math.floor(sk / 65536), port: sk % 65536, hosts: ips(s.services.get(sk)!, fmt) };
      }
      const entity: SourceStatsEntityV1 = {
        kind: 'source',
        ip: fmt(key),
        packets: s.packets,
        bytes: s.bytes,
        newFlows: s.newFlows,
        dstHosts: ips(s.dstHosts, fmt),
        dstPorts: ports(s.dstPorts),
        hosts: { exact: s.hosts.exact, k: s.hosts.k, n: s.hosts.n, items: hosts },
        services: { exact: s.services.exact, k: s.services.k, n: s.services.n, items: services },
        arpTargets: s.arpTargets !== null ? ips(s.arpTargets, fmt) : this.noIps,
        arpReplies: s.arpReplies !== null ? ips(s.arpReplies, fmt) : this.noIps,
      };
      this.onStats({ sensor, instance, start, intervalS, entity });
    }
    for (let i = 0; i < dstKeys.length; i++) {
      const key = dstKeys[i];
      const d = this.dsts.get(key)!;
      const attackerKeys = d.attackers.keysByHash();
      const attackers = new Array<{ ip: string; packets: number }>(attackerKeys.length);
      for (let j = 0; j < attackerKeys.length; j++) {
        const ak = attackerKeys[j];
        attackers[j] = { ip: fmt(ak), packets: d.attackers.get(ak)!.packets };
      }
      const entity: DestinationStatsEntityV1 = {
        kind: 'destination',
        ip: fmt(key),
        packets: d.packets,
        bytes: d.bytes,
        protocols: protocols(d.proto),
        syns: d.syns,
        handshakes: d.handshakes,
        synPorts: ports(d.synPorts),
        udpPorts: ports(d.udpPorts),
        udpAnswers: d.udpAnswers,
        icmpAnswers: d.icmpAnswers,
        attackers: { exact: d.attackers.exact, k: d.attackers.k, n: d.attackers.n, items: attackers },
        sources: ips(d.sources, fmt),
      };
      this.onStats({ sensor, instance, start, intervalS, entity });
    }

    this.gPackets = 0;
    this.gBytes = 0;
    this.gNewFlows = 0;
    this.gProto.fill(0);
    this.srcs = new Map();
    this.dsts = new Map();
    this.v6 = new Map();
    this.names.clear();
    this.lastS = null;
    this.lastH = undefined;
    this.lastD = null;
    this.revS = null;
    this.revH = undefined;
    this.revD = null;
  }

  /** Address text of a key, cached for the interval being emitted. */
  private readonly fmt = (key: number): string => {
    let t = this.names.get(key);
    if (t === undefined) {
      t = this.format(key);
      this.names.set(key, t);
    }
    return t;
  };

  private format(key: number): string {
    if (key < V4_LIMIT) return `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
    return ipToString(this.v6.get(key)!);
  }

  private top(keys: number[], m: Map<number, { packets: number; bytes: number }>): HostCountV1[] {
    // The N largest by (bytes, packets) are found on numbers (a bounded insertion list), then
    // every row at or above the N-th is given its text and ordered by sortTop (ties by text).
    const n = this.topN;
    if (n <= 0) return [];
    const bb: number[] = [], bp: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const v = m.get(keys[i])!;
      if (v.packets === 0) continue;
      const len = bb.length;
      if (len === n && (v.bytes < bb[len - 1] || (v.bytes === bb[len - 1] && v.packets <= bp[len - 1]))) continue;
      let j = len === n ? len - 1 : len;
      while (j > 0 && (v.bytes > bb[j - 1] || (v.bytes === bb[j - 1] && v.packets > bp[j - 1]))) { bb[j] = bb[j - 1]; bp[j] = bp[j - 1]; j--; }
      bb[j] = v.bytes;
      bp[j] = v.packets;
    }
    if (bb.length === 0) return [];
    const cutB = bb[bb.length - 1], cutP = bp[bb.length - 1];
    const rows: HostCountV1[] = [];
    for (let i = 0; i < keys.length; i++) {
      const v = m.get(keys[i])!;
      if (v.packets === 0 || v.bytes < cutB || (v.bytes === cutB && v.packets < cutP)) continue;
      rows.push({ ip: this.fmt(keys[i]), packets: v.packets, bytes: v.bytes });
    }
    return sortTop(rows).slice(0, n);
  }
}

/** UDP source ports of services that answer (and are abused for amplification) above 1023. */
const HIGH_SERVICE_PORTS = new Set([1900, 3702, 5353, 5683, 10001, 11211, 27015, 32414, 33848, 37810]);

/** True when a UDP packet from `srcPort` to `dstPort` looks like a service's answer to a client. */
export function isServiceReply(srcPort: number, dstPort: number): boolean {
  return dstPort >= 1024 && srcPort !== 0 && (srcPort < 1024 || HIGH_SERVICE_PORTS.has(srcPort));
}

/** Top-N order: bytes, then packets, descending; then address text. */
export function sortTop(rows: HostCountV1[]): HostCountV1[] {
  return rows.sort((a, b) => b.bytes - a.bytes || b.packets - a.packets || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

function protocols(c: Float64Array): ProtocolCountsV1 {
  const pb = (i: number) => ({ packets: c[2 * i], bytes: c[2 * i + 1] });
  return { tcp: pb(P.Tcp), udp: pb(P.Udp), icmp: pb(P.Icmp), icmpv6: pb(P.Icmp6), arp: pb(P.Arp), other: pb(P.Other) };
}

function ips(set: BottomK<true>, fmt: (k: number) => string): DistinctIpsV1 {
  const keys = set.keysByHash();
  const items = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) items[i] = fmt(keys[i]);
  const n = set.n;
  return { n, exact: set.exact, k: set.k, items, overflow: n - items.length };
}

function sortedKeys(m: Map<number, unknown>): number[] {
  const out = new Float64Array(m.size);
  let i = 0;
  for (const k of m.keys()) out[i++] = k;
  out.sort();
  return Array.from(out);
}

function ports(set: BottomK<true>): DistinctPortsV1 {
  const items = set.keysByHash();
  const n = set.n;
  return { n, exact: set.exact, k: set.k, items, overflow: n - items.length };
}
