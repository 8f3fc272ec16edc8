import fc from 'fast-check';
import { ipFromString, ipToString, isIPv4Mapped } from './address';

describe('address helpers', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:DB8::A', '2001:db8::a'],
    ['fe80::1%eth0', 'fe80::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s (RFC 5952)', (input, text) => {
    const w = ipFromString(input);
    expect(w).not.toBeNull();
    expect(ipToString(w!)).toBe(text);
  });

  it.each([
    ...['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', ':::', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', 'hello'],
    // RFC 4291 §2.2: a dotted quad stands only for the last 32 bits, never before "::".
    ...['1.2.3.4::', '1.2.3.4::1', '1:1.2.3.4::5', '::1.2.3.4:5', '1:2:3:4:5:6::1.2.3.4'],
    // RFC 4007 §11.2: "%" introduces a zone id; with none it names no zone.
    ...['fe80::1%', '::%'],
  ])('rejects %p', (s) => {
    expect(ipFromString(s)).toBeNull();
  });

  it('IPv4 is stored IPv4-mapped', () => {
    expect(Array.from(ipFromString('192.168.1.2')!)).toEqual([0, 0, 0xffff, 0xc0a80102]);
    expect(isIPv4Mapped(ipFromString('1.2.3.4')!)).toBe(true);
    expect(isIPv4Mapped(ipFromString('::1')!)).toBe(false);
  });

  it('property: text → words → text is stable for any address', () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(fc.property(fc.array(word, { minLength: 4, maxLength: 4 }), (ws) => {
      const w = Uint32Array.from(ws);
      const back = ipFromString(ipToString(w));
      expect(back && Array.from(back)).toEqual(ws);
    }), { numRuns: 3000, seed: 5 });
  });
});
