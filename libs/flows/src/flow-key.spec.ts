import { join } from 'node:path';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { formatAddress, parseAddress } from './address';
import { canonicalKey, flowId, flowIdOf, KEY_WORDS } from './flow-key';
import { serviceName } from './services';
import { flowsOf } from './testing/flows-of';

describe('addresses', () => {
  const cases: [string, string][] = [
    ['10.1.2.3', '10.1.2.3'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['fe80::1', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:DB8::A:0', '2001:db8::a:0'],
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
  ];
  it.each(cases)('%s prints as %s', (input, text) => {
    const w = new Uint32Array(4);
    expect(parseAddress(input, w)).toBe(true);
    expect(formatAddress(w)).toBe(text);
  });
  it.each(['1.2.3', '1.2.3.256', 'x::1', '1::2::3', '1:2:3:4:5:6:7:8:9', ''])('rejects %j', (bad) => {
    expect(parseAddress(bad, new Uint32Array(4))).toBe(false);
  });
});

describe('flow keys and ids', () => {
  const a = { proto: 6, srcIp: '10.0.0.1', srcPort: 1234, dstIp: '10.0.0.2', dstPort: 80, vlan: 0, vlanInner: 0 };
  const b = { ...a, srcIp: a.dstIp, srcPort: a.dstPort, dstIp: a.srcIp, dstPort: a.srcPort };

  it('the canonical key is direction-independent and includes VLANs and protocol', () => {
    expect(canonicalKey(a)).toEqual(canonicalKey(b));
    expect(canonicalKey(a)).toHaveLength(KEY_WORDS);
    expect(canonicalKey({ ...a, vlan: 7 })).not.toEqual(canonicalKey(a));
    expect(canonicalKey({ ...a, proto: 17 })).not.toEqual(canonicalKey(a));
    expect(canonicalKey({ ...a, srcIp: 'nope' })).toBeNull();
  });

  it('ids are 32 hex digits, deterministic, and differ by sensor, key and start', () => {
    const k = canonicalKey(a)!;
    const id = flowId('s1', k, 1_700_000_000_123_456);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(flowId('s1', k, 1_700_000_000_123_456)).toBe(id);
    expect(flowId('s2', k, 1_700_000_000_123_456)).not.toBe(id);
    expect(flowId('s1', k, 1_700_000_000_123_457)).not.toBe(id);
    expect(flowId('s1', canonicalKey({ ...a, srcPort: 1235 })!, 1_700_000_000_123_456)).not.toBe(id);
    expect(flowIdOf('s1', { ...b, start: 1_700_000_000.123456 })).toBe(id);
  });

  it('ids keep their text across versions (stored idempotency keys; values from the toString(16) formatting of 9255941)', () => {
    const k = canonicalKey(a)!;
    expect(flowId('s1', k, 1_700_000_000_123_456)).toBe('3bdcc17b5e4ff1c859ec54e770454447');
    // Lanes below 0x10000000: leading zeros kept.
    expect(flowId('s1', k, 1_700_000_000_009_417)).toBe('006272bf980e7a38013f479f00fe395d');
    const k6 = canonicalKey({ proto: 17, srcIp: '2001:db8::1', srcPort: 53, dstIp: 'fe80::2', dstPort: 5353, vlan: 7, vlanInner: 4095 })!;
    expect(flowId('sensor-6', k6, 1_700_000_000_000_000)).toBe('70cd34d531fe37f4143659c0bf7d6a50');
  });

  itIf(haveSharedPcaps, 'shared captures missing')('exported ids are unique, reproducible, and recomputable from the record', async () => {
    const file = join(SHARED_PCAPS, 'stopddos/amp.TCP.reflection.SYNACK.pcap');
    const one = await flowsOf(file);
    const two = await flowsOf(file);
    expect(two.flows.map((f) => f.id)).toEqual(one.flows.map((f) => f.id));
    expect(new Set(one.flows.map((f) => f.id)).size).toBe(one.flows.length);
    for (const f of one.flows.slice(0, 500)) {
      expect(flowIdOf('test-sensor', { ...f, fragments: f.features['Fragment Bucket'] === 1 })).toBe(f.id);
    }
  });
});

describe('serviceName', () => {
  it.each([
    [6, 80, 'http'], [6, 443, 'https'], [17, 53, 'dns'], [6, 53, 'dns'], [17, 67, 'dhcp'], [17, 161, 'snmp'],
    [6, 22, 'ssh'], [6, 6667, 'irc'], [17, 123, 'ntp'], [6, 40000, 'other'], [17, 0, 'other'], [1, 0, 'icmp'],
    [58, 0, 'icmpv6'], [47, 0, 'gre'], [99, 5, 'other'],
  ])('proto %i port %i -> %s', (proto, port, name) => {
    expect(serviceName(proto, port)).toBe(name);
  });
});
