/**
 * Why a frame could not be decoded. The decoder returns one of these codes (0 = decoded)
 * instead of throwing; the hot loop counts them by reason with {@link DecodeCounters}.
 *
 * Codes are stable: they index {@link DECODE_ERROR_NAMES} and appear in summaries and metrics.
 *
 * Each decoder file declares the codes it returns as its own const enum with the same values
 * (checked by codes.spec.ts): swc compiles files one by one, so an imported const enum is not
 * inlined but read through this module's export getter on every return, about 150 instructions
 * per packet over the decoder layers (-5.5% instructions per packet with literals, cachegrind).
 */
export const enum DecodeError {
  None = 0,
  /** The link type is not one we decode (counted as unsupported, not as damage). */
  UnsupportedLink = 1,
  /** The captured bytes end inside the link-layer header (Ethernet, SLL, VLAN tag, PPPoE...). */
  TruncatedLink = 2,
  /** The captured bytes end inside the fixed IPv4/IPv6 header or IPv4 options. */
  TruncatedIp = 3,
  /** The IP version nibble is neither 4 nor 6 where an IP header was announced. */
  BadIpVersion = 4,
  /** IPv4 IHL < 5 (header shorter than 20 bytes). */
  BadIpHeaderLength = 5,
  /** IPv4 total length shorter than its own header. */
  BadIpTotalLength = 6,
  /** An IPv6 extension header is cut short or runs past the payload. */
  TruncatedIpv6Ext = 7,
  /** The captured bytes end inside the fixed 20-byte TCP header. */
  TruncatedTcp = 8,
  /** TCP data offset < 5 or larger than the IP payload. */
  BadTcpOffset = 9,
  /** The captured bytes end inside the 8-byte UDP header. */
  TruncatedUdp = 10,
  /** The captured bytes end inside the ICMP/ICMPv6 type and code. */
  TruncatedIcmp = 11,
  /** The captured bytes end inside the ARP header or its addresses. */
  TruncatedArp = 12,
  /** Captured length is negative or runs past the buffer handed to the decoder (a caller bug or a lying framer). */
  BadCaptureLength = 13,
  /**
   * The packet's time is negative or past MAX_TS_US (a pcapng timestamp is 64 bits in the
   * interface's units plus a signed offset). Counted by the capture reader, not the decoder.
   */
  BadTimestamp = 14,
}

/** Reason names by code; used as keys in counters and summaries. */
export const DECODE_ERROR_NAMES: readonly string[] = [
  'none',
  'unsupported_link',
  'truncated_link',
  'truncated_ip',
  'bad_ip_version',
  'bad_ip_header_length',
  'bad_ip_total_length',
  'truncated_ipv6_ext',
  'truncated_tcp',
  'bad_tcp_offset',
  'truncated_udp',
  'truncated_icmp',
  'truncated_arp',
  'bad_capture_length',
  'bad_timestamp',
];

/** Number of distinct decode error codes (including None). */
export const DECODE_ERROR_COUNT = DECODE_ERROR_NAMES.length;

/** Counts decode failures by reason without allocating: one slot per {@link DecodeError} code. */
export class DecodeCounters {
  private readonly counts = new Float64Array(DECODE_ERROR_COUNT);

  /** Counts one occurrence of `code` (ignores None and unknown codes). */
  add(code: number): void {
    if (code > 0 && code < DECODE_ERROR_COUNT) this.counts[code]++;
  }

  /** Count for one code. */
  get(code: DecodeError): number {
    return this.counts[code] ?? 0;
  }

  /** Count for a reason name such as `truncated_ip` (0 when unknown). */
  byName(name: string): number {
    const i = DECODE_ERROR_NAMES.indexOf(name);
    return i > 0 ? this.counts[i] : 0;
  }

  /** Total of every failure except unsupported link types. */
  get damaged(): number {
    let n = 0;
    for (let i = 2; i < DECODE_ERROR_COUNT; i++) n += this.counts[i];
    return n;
  }

  /** Frames skipped because their link type is not decoded. */
  get unsupported(): number {
    return this.counts[DecodeError.UnsupportedLink];
  }

  /** Adds another counter set into this one. */
  merge(other: DecodeCounters): void {
    for (let i = 0; i < DECODE_ERROR_COUNT; i++) this.counts[i] += other.counts[i];
  }

  reset(): void {
    this.counts.fill(0);
  }

  /** Non-zero counts by reason name, e.g. `{ truncated_ip: 3 }`. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 1; i < DECODE_ERROR_COUNT; i++) if (this.counts[i] > 0) out[DECODE_ERROR_NAMES[i]] = this.counts[i];
    return out;
  }
}
