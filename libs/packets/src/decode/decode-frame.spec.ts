import { decodeFrame } from './frame';
import { DecodeCounters, DecodeError, DECODE_ERROR_NAMES } from './errors';
import { L3, PacketRecord } from '../packet';
import { ipToString } from '../address';
import { arp, ether, icmp, ipv4, ipv6, tcp, udp } from '../testing/capture.builder';

const rec = new PacketRecord();
function decode(linkType: number, frame: Buffer): number {
  return decodeFrame(linkType, frame, 0, frame.length, frame.length + 4, 1_700_000_000_123_456, rec);
}

const synTcp = tcp({ sport: 40000, dport: 80, flags: 0x02, seq: 0xfffffff0, ack: 7, win: 1024, options: Buffer.from([2, 4, 5, 0xb4, 1, 1, 4, 2]) });
const v4tcp = ipv4({ src: '10.0.0.1', dst: '192.168.1.2', proto: 6, ttl: 63, payload: synTcp });

function sll(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(proto, 14);
  return Buffer.concat([h, payload]);
}
function sll2(proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(proto, 0);
  h.writeUInt32BE(3, 4);
  h.writeUInt16BE(1, 8);
  h[11] = 6;
  return Buffer.concat([h, payload]);
}
function nullHdr(af: number, le: boolean, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  if (le) h.writeUInt32LE(af); else h.writeUInt32BE(af);
  return Buffer.concat([h, payload]);
}

describe('decodeFrame: link layers', () => {
  const cases: [string, number, Buffer, Partial<Record<'vlanOuter' | 'vlanInner', number>>][] = [
    ['Ethernet', 1, ether(0x0800, v4tcp), {}],
    ['802.1Q', 1, ether(0x0800, v4tcp, [{ vid: 943 }]), { vlanOuter: 943 }],
    ['QinQ 0x88a8 + 0x8100', 1, ether(0x0800, v4tcp, [{ tpid: 0x88a8, vid: 10 }, { vid: 20 }]), { vlanOuter: 10, vlanInner: 20 }],
    ['QinQ both 0x8100', 1, ether(0x0800, v4tcp, [{ vid: 3704 }, { vid: 2474 }]), { vlanOuter: 3704, vlanInner: 2474 }],
    ['PPPoE session', 1, ether(0x8864, Buffer.concat([Buffer.from([0x11, 0, 0, 1, 0, v4tcp.length + 2, 0, 0x21]), v4tcp])), {}],
    ['MPLS two labels', 1, ether(0x8847, Buffer.concat([Buffer.from([0, 1, 0x00, 64, 0, 2, 0x01, 64]), v4tcp])), {}],
    ['802.3 LLC/SNAP', 1, Buffer.concat([ether(v4tcp.length + 8, Buffer.alloc(0)), Buffer.from([0xaa, 0xaa, 3, 0, 0, 0, 8, 0]), v4tcp]), {}],
    ['Linux SLL', 113, sll(0x0800, v4tcp), {}],
    ['Linux SLL2', 276, sll2(0x0800, v4tcp), {}],
    ['raw IP', 101, v4tcp, {}],
    ['raw IPv4 (228)', 228, v4tcp, {}],
    ['null, little-endian AF_INET', 0, nullHdr(2, true, v4tcp), {}],
    ['null, big-endian AF_INET', 0, nullHdr(2, false, v4tcp), {}],
    ['loop (108)', 108, nullHdr(2, false, v4tcp), {}],
  ];
  it.each(cases)('%s → IPv4/TCP SYN with ports, flags, seq', (_name, lt, frame, vlans) => {
    expect(decode(lt, frame)).toBe(DecodeError.None);
    expect(rec.linkType).toBe(lt);
    expect(rec.l3).toBe(L3.IPv4);
    expect(ipToString(rec.src)).toBe('10.0.0.1');
    expect(ipToString(rec.dst)).toBe('192.168.1.2');
    expect([rec.proto, rec.ttl, rec.srcPort, rec.dstPort, rec.tcpFlags]).toEqual([6, 63, 40000, 80, 0x02]);
    expect([rec.seq, rec.ack, rec.window, rec.l4HdrLen, rec.payloadLen, rec.ipHdrLen, rec.ipLen]).toEqual([0xfffffff0, 7, 1024, 28, 0, 20, 48]);
    expect([rec.vlanOuter, rec.vlanInner]).toEqual([vlans.vlanOuter ?? 0, vlans.vlanInner ?? 0]);
    expect([rec.tsUs, rec.capLen, rec.wireLen]).toEqual([1_700_000_000_123_456, frame.length, frame.length + 4]);
  });

  it.each([
    ['null AF_INET6 (BSD 24)', 0, 24],
    ['null AF_INET6 (FreeBSD 28)', 0, 28],
    ['null AF_INET6 (macOS 30)', 0, 30],
  ])('%s → IPv6', (_n, lt, af) => {
    const v6 = ipv6({ src: '2001:db8::1', dst: 'fe80::2', nh: 17, payload: udp(53, 5353, Buffer.alloc(4)) });
    expect(decode(lt, nullHdr(af, true, v6))).toBe(0);
    expect(rec.l3).toBe(L3.IPv6);
    expect([ipToString(rec.src), ipToString(rec.dst), rec.srcPort, rec.dstPort, rec.payloadLen]).toEqual(['2001:db8::1', 'fe80::2', 53, 5353, 4]);
  });

  it('a non-IP EtherType (LLDP) decodes with no network layer', () => {
    expect(decode(1, ether(0x88cc, Buffer.alloc(40)))).toBe(0);
    expect(rec.l3).toBe(L3.None);
    expect(rec.proto).toBe(0);
  });

  it('an unknown link type is UnsupportedLink', () => {
    expect(decode(147, v4tcp)).toBe(DecodeError.UnsupportedLink);
  });
});

describe('decodeFrame: network and transport layers', () => {
  it('IPv4 options are skipped to the transport header', () => {
    const f = ether(0x0800, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', proto: 17, options: Buffer.from([0x94, 4, 0, 0]), payload: udp(1, 2, Buffer.alloc(10)) }));
    expect(decode(1, f)).toBe(0);
    expect([rec.ipHdrLen, rec.srcPort, rec.dstPort, rec.payloadLen]).toEqual([24, 1, 2, 10]);
  });

  it('first IPv4 fragment carries ports, later fragments do not', () => {
    expect(decode(1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, mf: true, payload: udp(53, 999, Buffer.alloc(100)) })))).toBe(0);
    expect([rec.isFragment, rec.isFirstFragment, rec.srcPort, rec.dstPort]).toEqual([true, true, 53, 999]);
    expect(decode(1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragOffset: 14, payload: Buffer.alloc(50, 0xff) })))).toBe(0);
    expect([rec.isFragment, rec.isFirstFragment, rec.srcPort, rec.dstPort, rec.proto, rec.payloadLen]).toEqual([true, false, 0, 0, 17, 50]);
  });

  it('Ethernet padding beyond the IP total length is not payload', () => {
    const f = Buffer.concat([ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 0x14 }) })), Buffer.alloc(6)]);
    expect(decode(1, f)).toBe(0);
    expect([rec.ipLen, rec.payloadLen, rec.tcpFlags]).toEqual([40, 0, 0x14]);
  });

  it('IPv4 total length 0 (segmentation offload) uses the captured length', () => {
    const f = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 0, payload: tcp({ sport: 1, dport: 2, flags: 0x18, payload: Buffer.alloc(3000) }) }));
    expect(decode(1, f)).toBe(0);
    expect([rec.ipLen, rec.payloadLen]).toEqual([3040, 3000]);
  });

  it('an IP length past the frame on the wire is cut to it; past the snapshot length only, it is kept', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: 0x18 });
    const v4 = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 65535, payload: seg }));
    const v6 = ether(0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nh: 6, payloadLen: 65527, payload: seg }));
    // The whole frame was captured (capLen = wireLen): the header lies.
    expect(decodeFrame(1, v4, 0, v4.length, v4.length, 0, rec)).toBe(0);
    expect([rec.ipLen, rec.payloadLen]).toEqual([40, 0]);
    expect(decodeFrame(1, v6, 0, v6.length, v6.length, 0, rec)).toBe(0);
    expect([rec.ipLen, rec.payloadLen]).toEqual([60, 0]);
    // Cut by the snapshot length of a 1514-byte frame: the declared 1500 bytes did pass.
    const snap = ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 1500, payload: seg }));
    expect(decodeFrame(1, snap, 0, snap.length, 1514, 0, rec)).toBe(0);
    expect([rec.ipLen, rec.payloadLen]).toEqual([1500, 1460]);
  });

  it('IPv6 extension headers are walked to TCP', () => {
    const f = ether(0x86dd, ipv6({
      src: '2001:db8::1', dst: '2001:db8::2', nh: 6, hlim: 7,
      ext: [{ type: 0, body: Buffer.alloc(6) }, { type: 60, body: Buffer.alloc(14) }, { type: 51, body: Buffer.alloc(10) }],
      payload: tcp({ sport: 22, dport: 5000, flags: 0x12 }),
    }));
    expect(decode(1, f)).toBe(0);
    expect([rec.l3, rec.proto, rec.ttl, rec.ipHdrLen, rec.srcPort, rec.dstPort, rec.tcpFlags]).toEqual([L3.IPv6, 6, 7, 40 + 8 + 16 + 12, 22, 5000, 0x12]);
  });

  it('IPv6 fragment header: first fragment has ports, later ones none', () => {
    const first = ipv6({ src: '::1', dst: '::2', nh: 17, ext: [{ type: 44, body: Buffer.from([0, 1, 0, 0, 0, 9]) }], payload: udp(7, 8, Buffer.alloc(16)) });
    expect(decode(101, first)).toBe(0);
    expect([rec.isFragment, rec.isFirstFragment, rec.proto, rec.srcPort, rec.dstPort]).toEqual([true, true, 17, 7, 8]);
    const later = ipv6({ src: '::1', dst: '::2', nh: 17, ext: [{ type: 44, body: Buffer.from([0, 0x10, 0, 0, 0, 9]) }], payload: Buffer.alloc(16) });
    expect(decode(101, later)).toBe(0);
    expect([rec.isFragment, rec.isFirstFragment, rec.proto, rec.srcPort, rec.ipHdrLen, rec.payloadLen]).toEqual([true, false, 17, 0, 48, 16]);
  });

  it('ICMP and ICMPv6 type and code', () => {
    expect(decode(101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1, payload: icmp(3, 3) }))).toBe(0);
    expect([rec.proto, rec.icmpType, rec.icmpCode, rec.srcPort]).toEqual([1, 3, 3, 0]);
    expect(decode(101, ipv6({ src: '::1', dst: 'ff02::1', nh: 58, payload: icmp(128, 0) }))).toBe(0);
    expect([rec.proto, rec.icmpType, rec.icmpCode]).toEqual([58, 128, 0]);
  });

  it('ARP operation and addresses', () => {
    expect(decode(1, ether(0x0806, arp(1, '10.0.0.128', '10.0.0.7')))).toBe(0);
    expect([rec.l3, rec.arpOp, ipToString(rec.src), ipToString(rec.dst)]).toEqual([L3.ARP, 1, '10.0.0.128', '10.0.0.7']);
    expect(rec.arpSenderIp).toBe(0x0a000080);
    expect(rec.arpTargetIp).toBe(0x0a000007);
  });

  it('GRE and other protocols are recorded by number', () => {
    expect(decode(101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47, payload: Buffer.alloc(24) }))).toBe(0);
    expect([rec.proto, rec.payloadLen, rec.srcPort]).toEqual([47, 24, 0]);
  });

  it('resets the record: nothing leaks from the previous packet', () => {
    decode(1, ether(0x0800, v4tcp, [{ vid: 5 }]));
    decode(1, ether(0x0806, arp(2, '1.2.3.4', '5.6.7.8')));
    expect([rec.srcPort, rec.tcpFlags, rec.seq, rec.vlanOuter, rec.proto, rec.ttl]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('decodeFrame: malformed input is counted by reason', () => {
  const cases: [string, number, Buffer, DecodeError][] = [
    ['short Ethernet', 1, Buffer.alloc(13), DecodeError.TruncatedLink],
    ['VLAN tag cut', 1, Buffer.concat([ether(0x8100, Buffer.alloc(0)), Buffer.alloc(2)]), DecodeError.TruncatedLink],
    ['short SLL', 113, Buffer.alloc(15), DecodeError.TruncatedLink],
    ['short SLL2', 276, Buffer.alloc(19), DecodeError.TruncatedLink],
    ['short null', 0, Buffer.alloc(3), DecodeError.TruncatedLink],
    ['IPv4 header cut', 1, ether(0x0800, v4tcp.subarray(0, 19)), DecodeError.TruncatedIp],
    ['IPv4 options cut', 1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, options: Buffer.alloc(8), payload: Buffer.alloc(0) }).subarray(0, 24)), DecodeError.TruncatedIp],
    ['IHL 4', 1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, ihl: 4, payload: synTcp })), DecodeError.BadIpHeaderLength],
    ['total length < header', 1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 19, payload: synTcp })), DecodeError.BadIpTotalLength],
    ['version 5 behind 0x0800', 1, ether(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, version: 5, payload: synTcp })), DecodeError.BadIpVersion],
    ['raw IP version 0', 101, Buffer.alloc(40), DecodeError.BadIpVersion],
    ['IPv6 header cut', 101, ipv6({ src: '::1', dst: '::2', nh: 59, payload: Buffer.alloc(0) }).subarray(0, 39), DecodeError.TruncatedIp],
    ['IPv6 ext header runs past payload', 101, ipv6({ src: '::1', dst: '::2', nh: 6, ext: [{ type: 0, body: Buffer.alloc(6) }], payload: Buffer.alloc(0) }).fill(200, 41, 42), DecodeError.TruncatedIpv6Ext],
    ['TCP header cut', 101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: synTcp }).subarray(0, 39), DecodeError.TruncatedTcp],
    ['TCP data offset 4', 101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 2, doff: 4 }) }), DecodeError.BadTcpOffset],
    ['TCP data offset past IP payload', 101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 2, doff: 15 }) }), DecodeError.BadTcpOffset],
    ['UDP header cut', 101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, payload: Buffer.alloc(7) }), DecodeError.TruncatedUdp],
    ['ICMP cut', 101, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1, payload: Buffer.alloc(1) }), DecodeError.TruncatedIcmp],
    ['ARP addresses cut', 1, ether(0x0806, arp(1, '1.1.1.1', '2.2.2.2').subarray(0, 27)), DecodeError.TruncatedArp],
  ];
  it.each(cases)('%s', (_n, lt, frame, code) => {
    expect(decode(lt, frame)).toBe(code);
  });

  it('a capture length past the buffer is refused without reading', () => {
    const b = Buffer.alloc(60);
    for (const [off, len] of [[0, 61], [-1, 10], [59, 2], [Number.NaN, 1], [0, Number.NaN]]) {
      expect(decodeFrame(1, b, off, len, 60, 0, rec)).toBe(DecodeError.BadCaptureLength);
    }
  });

  it('DecodeCounters counts by reason name', () => {
    const c = new DecodeCounters();
    for (const [, lt, frame] of cases) c.add(decode(lt, frame));
    c.add(decode(147, v4tcp));
    c.add(0);
    expect(c.toJSON()).toMatchObject({ truncated_ip: 3, bad_ip_header_length: 1, bad_tcp_offset: 2, unsupported_link: 1, truncated_link: 5 });
    expect(c.unsupported).toBe(1);
    expect(c.damaged).toBe(cases.length);
    expect(c.byName('bad_tcp_offset')).toBe(2);
    expect(DECODE_ERROR_NAMES[DecodeError.BadIpHeaderLength]).toBe('bad_ip_header_length');
  });
});
