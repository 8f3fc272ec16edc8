import fc from 'fast-check';
import { normalizeIp } from './address';

describe('normalizeIp', () => {
  it.each([
    // IPv6 spellings → RFC 5952 (lower case, no leading zeros, longest zero run compressed)
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: the first run
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run, not the first
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['1::2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FE80::ABCD', 'fe80::abcd'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::2', '::2'], // not "::0.0.0.2" as inet_ntop prints it
    ['::1.2.3.4', '::102:304'], // IPv4-compatible (deprecated) is plain IPv6 in storage
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['64:ff9b::10.66.0.7', '64:ff9b::a42:7'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'], // embedded IPv4 without "::"
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], // "::" for a single zero group
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    // IPv4-mapped IPv6 → the dotted quad the sensor stores
    ['::ffff:10.66.0.7', '10.66.0.7'],
    ['::FFFF:10.66.0.7', '10.66.0.7'],
    ['::ffff:a42:7', '10.66.0.7'],
    ['::FFFF:A42:7', '10.66.0.7'],
    ['0:0:0:0:0:ffff:0a42:0007', '10.66.0.7'],
    ['::ffff:0.0.0.0', '0.0.0.0'],
    ['::ffff:255.255.255.255', '255.255.255.255'],
    // IPv4 stays as it is
    ['10.66.0.7', '10.66.0.7'],
    ['0.0.0.0', '0.0.0.0'],
  ])('%s → %s', (input, want) => {
    expect(normalizeIp(input)).toBe(want);
  });

  it.each([
    ...['', 'not-an-ip', '010.66.0.7', '10.66.0', '10.66.0.256', '1.2.3.4 ', 'fe80::1%eth0', '2001:db8::1::2', '12345::1', ':::', '[::1]', '::ffff:10.66.0.07', 'g::1'],
    // Zone ids, empty or not: ipFromString drops one, the console refuses any (none reaches storage).
    ...['fe80::1%', '::%', '::1%1'],
    // RFC 4291 §2.2: the dotted quad is the last 32 bits only, and "::" stands for at least one group.
    ...['1.2.3.4::', '1.2.3.4::1', '1:1.2.3.4::5', '::1.2.3.4:5', '1:2:3:4:5:6::1.2.3.4', '1:2:3:4:5:6:7:8::'],
  ])(
    'rejects %j',
    (input) => {
      expect(normalizeIp(input)).toBeNull();
    },
  );

  // Any spelling of any non-mapped address gives the WHATWG URL serialisation, which follows RFC 5952's compression rule.
  it('agrees with the URL parser on random addresses in random spellings', () => {
    const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.boolean(), fc.boolean(), fc.nat(), (g, upper, padded, pick) => {
        if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return; // mapped: covered above
        const hex = (xs: number[]) => xs.map((x) => (padded ? x.toString(16).padStart(4, '0') : x.toString(16))).join(':');
        // Compress some run of zero groups (any run, not necessarily the one RFC 5952 picks), or none.
        const zeros = g.flatMap((x, i) => (x === 0 && (i === 0 || g[i - 1] !== 0) ? [i] : []));
        const at = zeros.length ? zeros[pick % (zeros.length + 1)] : undefined;
        let end = at ?? 0;
        while (at !== undefined && end < 8 && g[end] === 0) end++;
        let text = at === undefined ? hex(g) : `${hex(g.slice(0, at))}::${hex(g.slice(end))}`;
        if (upper) text = text.toUpperCase();
        const want = new URL(`http://[${text}]/`).hostname.slice(1, -1);
        expect(normalizeIp(text)).toBe(want);
        expect(normalizeIp(want)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});
