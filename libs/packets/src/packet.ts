/**
 * The decoded header fields of one packet. The decoder fills ONE reusable record per
 * loop (no allocation per packet); consumers copy what they keep.
 *
 * Addresses are four 32-bit words each, network order word by word. IPv4 is stored
 * IPv4-mapped (0, 0, 0x0000ffff, addr) so flow keys of both families have one shape.
 */
export const enum L3 {
  None = 0,
  IPv4 = 4,
  IPv6 = 6,
  ARP = 0x0806,
}

export const enum IpProto {
  ICMP = 1,
  TCP = 6,
  UDP = 17,
  ICMPv6 = 58,
}

/** TCP flag bits as in the TCP header's flags byte (plus ECE/CWR). */
export const enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
  ECE = 0x40,
  CWR = 0x80,
}

/**
 * Packet times at or past this (µs since the epoch; year 5138) are rejected where packets enter
 * (the capture reader; the aggregator drops such a packet of a batch, and any too far ahead of its
 * wall clock): one such time would move every packet-time clock (flow expiry, statistics
 * intervals, rule windows) past all real traffic.
 */
export const MAX_TS_US = 1e17;

export class PacketRecord {
  /** Packet time in microseconds since the epoch (an integer-valued double: exact to 2^53). */
  tsUs = 0;
  /** Length of the frame on the wire. */
  wireLen = 0;
  /** Bytes captured (<= wireLen). */
  capLen = 0;
  /** DLT link type of the interface it was captured on. */
  linkType = 0;
  /** Capture interface index (pcapng interface id; 0 for pcap). */
  ifIndex = 0;
  /** Outer and inner 802.1Q VLAN ids (0 = none). With a single tag only vlanOuter is set. */
  vlanOuter = 0;
  vlanInner = 0;
  /** Network layer found: L3.None, IPv4, IPv6, ARP. */
  l3: L3 = L3.None;
  /** Source / destination address, 4 words (IPv4 mapped as ::ffff:a.b.c.d). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** IP protocol number of the transport header (after IPv6 extension headers); 0 if none. */
  proto = 0;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 header length incl. options, or IPv6 fixed + extension headers length. */
  ipHdrLen = 0;
  /**
   * IP total length as declared in the header (IPv4 total length, IPv6 40 + payload length),
   * at most what the frame held on the wire from the IP header on.
   */
  ipLen = 0;
  /** True for any IP fragment (MF set or offset > 0); only the first fragment carries ports. */
  isFragment = false;
  /** True when this is a fragment with offset 0 (it has the transport header). */
  isFirstFragment = false;
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (TcpFlag bits). */
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  window = 0;
  /** TCP header length incl. options (data offset * 4); UDP 8; ICMP 8. */
  l4HdrLen = 0;
  /** Transport payload length as declared by the headers (not limited by snaplen; limited by the wire length). */
  payloadLen = 0;
  icmpType = 0;
  icmpCode = 0;
  /** ARP operation (1 request, 2 reply) and IPv4 sender / target addresses. */
  arpOp = 0;
  arpSenderIp = 0;
  arpTargetIp = 0;
  /**
   * Decoder scratch: the buffer offset where the frame ended on the wire (frame start +
   * max(wireLen, capLen)), set by decodeFrame. A header that declares more than that lies.
   */
  wireEnd = 0;

  /** Resets every field so nothing leaks from the previous packet. */
  reset(): void {
    this.tsUs = 0; this.wireLen = 0; this.capLen = 0; this.linkType = 0; this.ifIndex = 0;
    this.vlanOuter = 0; this.vlanInner = 0; this.l3 = L3.None;
    // Word stores, not fill(): this runs once per packet and fill() is a builtin call.
    const s = this.src; s[0] = 0; s[1] = 0; s[2] = 0; s[3] = 0;
    const d = this.dst; d[0] = 0; d[1] = 0; d[2] = 0; d[3] = 0;
    this.proto = 0; this.ttl = 0; this.ipHdrLen = 0; this.ipLen = 0;
    this.isFragment = false; this.isFirstFragment = false;
    this.srcPort = 0; this.dstPort = 0; this.tcpFlags = 0; this.seq = 0; this.ack = 0; this.window = 0;
    this.l4HdrLen = 0; this.payloadLen = 0; this.icmpType = 0; this.icmpCode = 0;
    this.arpOp = 0; this.arpSenderIp = 0; this.arpTargetIp = 0;
  }
}
