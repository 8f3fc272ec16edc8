import { spawnSync } from 'node:child_process';
import { createNetnsPair, type NetnsPair } from './netns';
import { haveCommand, isRoot, itIf } from './skip';

const canRun = isRoot && haveCommand('ip') && haveCommand('ping');
const reason = 'needs root, iproute2 and ping (network namespaces)';
const listNs = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);

describe('createNetnsPair', () => {
  const made: NetnsPair[] = [];
  afterAll(() => {
    for (const p of made) p.destroy();
  });

  itIf(canRun, reason)('joins two namespaces by a veth pair with addresses; IPv6 off; destroy removes them and can be called again', () => {
    const p = createNetnsPair({ prefix: 'nstest', addresses: ['10.213.251.1/24', '10.213.251.2/24'], ipv6: false });
    made.push(p);
    expect(p.vethA.length).toBeLessThanOrEqual(15);
    expect(listNs()).toEqual(expect.arrayContaining([p.nsA, p.nsB]));
    expect(p.exec(p.nsA, ['ping', '-c', '1', '-W', '2', p.ipB!])).toContain('1 received');
    expect(p.exec(p.nsB, ['sysctl', '-n', `net.ipv6.conf.${p.vethB}.disable_ipv6`]).trim()).toBe('1');
    expect(p.exec(p.nsA, ['ip', '-o', '-6', 'addr', 'show', 'dev', p.vethA]).trim()).toBe('');
    // Nothing of the pair in the root namespace.
    expect(spawnSync('ip', ['link', 'show', p.vethA]).status).not.toBe(0);
    const sleeper = p.spawn(p.nsB, ['sleep', '60']);
    p.destroy();
    expect(listNs()).not.toContain(p.nsA);
    expect(listNs()).not.toContain(p.nsB);
    expect(() => p.destroy()).not.toThrow();
    return new Promise<void>((res) => (sleeper.exitCode !== null || sleeper.signalCode !== null ? res() : sleeper.once('exit', () => res())));
  }, 30_000);

  itIf(canRun, reason)('names are unique per call; IPv6 stays on unless asked; a failing command names itself', () => {
    const a = createNetnsPair({ prefix: 'nstest' });
    made.push(a);
    const b = createNetnsPair({ prefix: 'nstest' });
    made.push(b);
    expect(new Set([a.nsA, a.nsB, b.nsA, b.nsB]).size).toBe(4);
    expect(a.vethA).not.toBe(b.vethA);
    expect(a.ipA).toBeUndefined();
    expect(a.exec(a.nsA, ['sysctl', '-n', `net.ipv6.conf.${a.vethA}.disable_ipv6`]).trim()).toBe('0');
    expect(() => a.exec(a.nsA, ['ip', 'link', 'show', 'nosuchdev0'])).toThrow(/`ip netns exec ns\S+ ip link show nosuchdev0` failed \(exit 1\):.*nosuchdev0/);
    expect(() => a.exec(a.nsA, ['sleep', '5'], { timeoutMs: 200 })).toThrow(/sleep 5` failed/);
    expect(a.exec(a.nsA, ['sleep', '5'], { timeoutMs: 200, allowTimeout: true })).toBe('');
    a.destroy();
    b.destroy();
  }, 30_000);

  itIf(canRun && haveCommand('socat') && haveCommand('ss'), 'needs root, iproute2, socat and ss')('bridges the broker into a namespace: a Kafka client inside reaches it', async () => {
    const p = createNetnsPair({ prefix: 'nstest' });
    made.push(p);
    const addr = await p.bridgeBroker(p.nsA);
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    // A real Kafka request from inside the namespace (no other route out of it).
    const script = `const { Kafka, logLevel } = require('kafkajs'); const a = new Kafka({ brokers: ['${addr}'], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();` +
      `a.connect().then(() => a.describeCluster()).then((c) => { console.log('brokers', c.brokers.length); return a.disconnect(); }).catch((e) => { console.error(e.message); process.exit(1); });`;
    const out = p.exec(p.nsA, [process.execPath, '-e', script], { timeoutMs: 30_000 });
    expect(out).toMatch(/brokers [1-9]/);
    // Without the bridge, the other namespace has no broker.
    expect(() => p.exec(p.nsB, [process.execPath, '-e', script.replace(/retries: 2/, 'retries: 0')], { timeoutMs: 30_000 })).toThrow(/failed/);
    p.destroy();
  }, 90_000);
});
