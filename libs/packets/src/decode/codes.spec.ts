import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECODE_ERROR_NAMES } from './errors';

// Decoders return DecodeError codes as literals of their own files (see errors.ts); a mirror that
// drifted would count damage under the wrong reason.
describe('decoder error codes', () => {
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && f !== 'errors.ts');
  const mirrors = files
    .map((f) => ({ f, m: /const enum DecodeError \{([^}]*)\}/.exec(readFileSync(join(__dirname, f), 'utf8')) }))
    .filter((x) => x.m !== null);

  it('every decoder that returns codes mirrors them', () => {
    expect(mirrors.map((x) => x.f).sort()).toEqual(
      ['arp.ts', 'ethernet.ts', 'ethertype.ts', 'frame.ts', 'icmp.ts', 'ipv4.ts', 'ipv6.ts', 'raw.ts', 'sll.ts', 'tcp.ts', 'transport.ts', 'udp.ts']);
  });

  it.each(mirrors.map((x) => [x.f, x.m![1]]))('%s: each mirrored code equals errors.ts', (_f, body) => {
    const members = [...body.matchAll(/(\w+) = (\d+)/g)];
    expect(members.length).toBeGreaterThan(0);
    // The code indexes DECODE_ERROR_NAMES, whose names are the members' in snake case.
    const snake = (name: string): string => name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
    for (const [, name, value] of members) expect([name, DECODE_ERROR_NAMES[Number(value)]]).toEqual([name, snake(name)]);
  });
});
