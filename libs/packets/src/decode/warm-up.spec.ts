import { PacketRecord } from '../packet';
import { decodeFrame } from './frame';
import { DecodeError } from './errors';
import { warmUpDecoder, warmUpFrames } from './warm-up';

describe('decoder warm-up', () => {
  // The warm-up is only worth its cost if its frames really take the paths real traffic takes.
  it('its frames decode through every common path', () => {
    const rec = new PacketRecord();
    const seen = new Set<string>();
    const errors: number[] = [];
    for (const f of warmUpFrames()) {
      const code = decodeFrame(1, f, 0, f.length, f.length, 1, rec);
      if (code !== DecodeError.None) { errors.push(code); continue; }
      const frag = rec.isFragment ? (rec.isFirstFragment ? '/first-fragment' : '/fragment') : '';
      seen.add(`${rec.l3}/${rec.proto}${frag}${rec.vlanOuter ? '/vlan' : ''}`);
    }
    expect([...seen].sort()).toEqual([
      '0/0', // LLDP: no network layer
      '2054/0', // ARP
      '4/1', '4/17', '4/17/first-fragment', '4/17/fragment', '4/17/vlan', '4/47', '4/6',
      '6/17', '6/58', '6/6', '6/6/vlan',
    ].sort());
    expect(errors.sort()).toEqual([DecodeError.TruncatedIp, DecodeError.TruncatedTcp].sort());
  });

  it('runs once and leaves decoding unchanged', () => {
    const f = warmUpFrames()[1];
    const a = new PacketRecord(), b = new PacketRecord();
    decodeFrame(1, f, 0, f.length, f.length, 5, a);
    warmUpDecoder();
    warmUpDecoder();
    decodeFrame(1, f, 0, f.length, f.length, 5, b);
    expect(b).toEqual(a);
    expect([b.srcPort, b.dstPort, b.payloadLen]).toEqual([50000, 80, 100]);
  });
});
