/**
 * The lab network: one namespace per host plus one for the bridge, all named `<prefix>-...`
 * with a per-run prefix so that parallel runs never collide. Hosts get a veth whose other end
 * is a port of the bridge; there is no default route and no link to the machine's own
 * namespace, so traffic cannot leave. Created and destroyed synchronously, so that teardown
 * also works from a signal handler.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { DEAD_MAC, type PlannedHost } from './plan';

export interface Topology {
  prefix: string;
  bridgeNs: string;
  /** Namespace of each host, by host name. */
  hostNs: Map<string, string>;
}

const BRIDGE = 'br0';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function netnsExec(ns: string, argv: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A unique prefix per run: the PID plus a counter (for several runs in one process). */
let runCounter = 0;
export function runPrefix(): string {
  runCounter++;
  return `nslab${process.pid}${runCounter > 1 ? `x${runCounter}` : ''}`;
}

/** Builds the namespaces, bridge and links. On failure, removes what it made and rethrows. */
export function createTopology(prefix: string, subnetBits: number, hosts: PlannedHost[]): Topology {
  const t: Topology = { prefix, bridgeNs: `${prefix}-br`, hostNs: new Map() };
  try {
    ip(['netns', 'add', t.bridgeNs]);
    ip(['-n', t.bridgeNs, 'link', 'set', 'lo', 'up']);
    quiet(t.bridgeNs);
    // No STP and no forwarding delay: ports forward as soon as they are up.
    ip(['-n', t.bridgeNs, 'link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    ip(['-n', t.bridgeNs, 'link', 'set', BRIDGE, 'up']);
    for (const h of hosts) {
      const ns = `${prefix}-h${h.index}`;
      ip(['netns', 'add', ns]);
      t.hostNs.set(h.name, ns);
      quiet(ns);
      const port = `p${h.index}`;
      ip(['-n', t.bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      // Bridge ports take jumbo frames; each host's own MTU decides what it sends.
      ip(['-n', t.bridgeNs, 'link', 'set', port, 'mtu', '9000', 'master', BRIDGE, 'up']);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      // One frame per segment on the wire, as a physical NIC would show (no GSO super-frames).
      ip(['-n', ns, 'link', 'set', 'eth0', 'address', h.mac, 'mtu', String(h.mtu), 'gso_max_segs', '1']);
      ip(['-n', ns, 'addr', 'add', `${h.ip}/${subnetBits}`, 'dev', 'eth0']);
      ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      for (const a of h.deadNeighbours) ip(['-n', ns, 'neigh', 'replace', a, 'lladdr', DEAD_MAC, 'nud', 'permanent', 'dev', 'eth0']);
      // `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc: the host's resolver and name lookup order.
      const etc = `/etc/netns/${ns}`;
      mkdirSync(etc, { recursive: true });
      writeFileSync(`${etc}/resolv.conf`, h.resolver ? `nameserver ${h.resolver}\noptions timeout:1 attempts:1\n` : 'options timeout:1 attempts:1\n');
      writeFileSync(`${etc}/nsswitch.conf`, 'hosts: files dns\n');
    }
    return t;
  } catch (e) {
    destroyTopology(t);
    throw e;
  }
}

/** IPv6 off in the lab (no router solicitations or DAD noise in the captures). */
function quiet(ns: string): void {
  netnsExec(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
}

/** PIDs of processes still inside a namespace. */
export function namespacePids(ns: string): number[] {
  try {
    const out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split(/\s+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1);
  } catch {
    return [];
  }
}

/**
 * Kills whatever still runs inside the lab's namespaces (by PID: they are ours, the namespaces
 * were made by this run) and deletes them. Idempotent; never throws.
 */
export function destroyTopology(t: Topology): void {
  const all = [...t.hostNs.values(), t.bridgeNs];
  for (const ns of all) for (const pid of namespacePids(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const ns of all) {
    try {
      ip(['netns', 'del', ns]);
    } catch {
      /* not there */
    }
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}

/** Namespaces left by earlier runs with this prefix (for tests: none may remain). */
export function listNamespaces(prefix: string): string[] {
  try {
    const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix + '-'));
  } catch {
    return [];
  }
}
