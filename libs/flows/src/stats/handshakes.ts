import * as hash from './hash';

// A module local: an imported binding is a getter call per use under CommonJS (swc).
const mix32 = hash.mix32;
/** The hash state after the words 0, 0, 0xffff (every IPv4-mapped address starts so). */
const V4_PREFIX = mix32(mix32(mix32(0x243f6a88 ^ 0) ^ 0) ^ 0xffff);

/** What a direction-dependent 5-tuple is waiting for. */
export const enum Pending {
  None = 0,
  /** A TCP SYN was sent; a SYN-ACK or RST may answer it. */
  Syn = 1,
  /** The SYN-ACK came back; the initiator's ACK completes the handshake. */
  SynAck = 2,
  /** A UDP (or other) flow was opened; a packet back answers it. */
  Datagram = 3,
}

/**
 * A direct-mapped table of open handshakes and unanswered datagrams, keyed by the hash of the
 * 5-tuple as the initiator sent it. Memory is fixed (`slots` entries, 9 bytes each); a
 * collision overwrites the older entry, which then counts as unanswered: under a flood of
 * spoofed SYNs that is the right answer, and for normal traffic the table is far larger than
 * the number of handshakes in flight. Every packet of a flow reaches the same aggregator
 * instance, so the whole exchange is seen by one table.
 */
export class HandshakeTable {
  private readonly mask: number;
  private readonly tagA: Uint32Array;
  private readonly tagB: Uint32Array;
  private readonly state: Uint8Array;
  /** Slot and tags of the last `hash` call. */
  private slot = 0;
  private a = 0;
  private b = 0;

  constructor(slotsLog2 = 17) {
    const n = 1 << slotsLog2;
    this.mask = n - 1;
    this.tagA = new Uint32Array(n);
    this.tagB = new Uint32Array(n);
    this.state = new Uint8Array(n);
  }

  /** Hashes the tuple (from → to); later calls of get/set/clear use it. */
  hash(from: Uint32Array, fromPort: number, to: Uint32Array, toPort: number, proto: number): void {
    let a: number;
    // An IPv4(-mapped) initiator's first three words are 0, 0, 0xffff: their rounds are a constant.
    if (from[0] === 0 && from[1] === 0 && from[2] === 0xffff) a = V4_PREFIX;
    else a = mix32(mix32(mix32(0x243f6a88 ^ from[0]) ^ from[1]) ^ from[2]);
    a = mix32(a ^ from[3]);
    a = mix32(a ^ to[0]); a = mix32(a ^ to[1]); a = mix32(a ^ to[2]); a = mix32(a ^ to[3]);
    a = mix32(a ^ ((fromPort << 16) | toPort) ^ (proto << 8));
    const b = mix32(a ^ 0x85a308d3) | 1; // never 0, so an empty slot never matches
    this.slot = a & this.mask;
    this.a = a;
    this.b = b >>> 0;
  }

  get(): Pending {
    const s = this.slot;
    return this.tagA[s] === this.a && this.tagB[s] === this.b ? (this.state[s] as Pending) : Pending.None;
  }

  set(p: Pending): void {
    const s = this.slot;
    this.tagA[s] = this.a;
    this.tagB[s] = this.b;
    this.state[s] = p;
  }

  clear(): void {
    const s = this.slot;
    if (this.tagA[s] === this.a && this.tagB[s] === this.b) {
      this.tagB[s] = 0;
      this.state[s] = Pending.None;
    }
  }
}
