/**
 * Turns a scenario into a concrete, deterministic plan: addresses, the services each host runs,
 * and every client or attack process with its start offset and time limit. Pure: same scenario,
 * same plan (the seed decides order, offsets, sizes and clients). What actually happened is
 * measured from the capture afterwards.
 */
import { Rng } from './rng';
import { ATTACK_ALERT_TYPE, attackSources, hostAddresses, subnetPrefix, type Attack, type Scenario } from './scenario';
import type { AlertType } from '@netsentry/contracts';

export interface PlannedHost {
  name: string;
  ip: string;
  /** Deterministic MAC address (locally administered). */
  mac: string;
  /** Index used in namespace and interface names. */
  index: number;
  mtu: number;
  /** `attacker` when the host is the source of an attack, else `benign`. */
  role: 'attacker' | 'benign';
  /** Address of the DNS server this host's resolver uses, if any. */
  resolver?: string;
  /** Addresses pinned to a dead MAC in this host's neighbour table (host sweeps). */
  deadNeighbours: string[];
}

/** A long-running process started before traffic begins and stopped at the end. */
export interface PlannedService {
  host: string;
  name: string;
  argv: string[];
  /** TCP/UDP port the runner waits for before starting the clock (0 = none). */
  port: number;
}

/** One bounded client or attack process. */
export interface PlannedStep {
  /** Seconds after the start of traffic. */
  at: number;
  host: string;
  argv: string[];
  /** Hard limit: the process group is killed after this many seconds. */
  timeoutSec: number;
  /** Short description for the log. */
  label: string;
  /** Set when the step is (part of) an attack. */
  attackId?: string;
}

export interface PlannedAttack {
  id: string;
  kind: Attack['kind'];
  type: AlertType;
  sources: string[];
  /** Target addresses (a sweep's whole range). */
  targets: string[];
  at: number;
  params: Record<string, unknown>;
}

export interface Plan {
  hosts: PlannedHost[];
  services: PlannedService[];
  steps: PlannedStep[];
  attacks: PlannedAttack[];
  /** Files the runner must create before starting: path relative to the work dir, and size. */
  files: Array<{ name: string; bytes: number }>;
}

export interface PlanContext {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of the HTTP agent script. */
  httpd: string;
  /** Work directory (files to upload live here). */
  workDir: string;
}

/** MAC that no lab host has: swept addresses that do not exist are pinned to it. */
export const DEAD_MAC = '02:00:00:00:de:ad';

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function planScenario(s: Scenario, ctx: PlanContext): Plan {
  const rng = new Rng(s.seed);
  const ip = hostAddresses(s);
  const attackers = new Set(s.attacks.flatMap(attackSources));
  const hosts: PlannedHost[] = s.hosts.map((h, i) => ({
    name: h.name,
    ip: ip.get(h.name)!,
    mac: `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
    index: i + 1,
    mtu: h.mtu,
    role: attackers.has(h.name) ? 'attacker' : 'benign',
    deadNeighbours: [],
  }));
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const services: PlannedService[] = [];
  const steps: PlannedStep[] = [];
  const files: Plan['files'] = [];
  const httpPorts = new Map<string, Set<number>>();
  const wantHttp = (host: string, port: number) => {
    if (!httpPorts.has(host)) httpPorts.set(host, new Set());
    httpPorts.get(host)!.add(port);
  };
  const dnsServers = new Set<string>();
  const echoPorts = new Set<string>();
  const end = s.duration;

  for (const b of s.benign) {
    const from = b.from ?? 0;
    const until = b.until ?? Math.max(from, end - 5);
    const when = () => r3(rng.uniform(from, until));
    switch (b.kind) {
      case 'http_download': {
        const srv = byName.get(b.server)!.ip;
        wantHttp(b.server, 80);
        for (let k = 0; k < b.count; k++) {
          const at = when();
          const c = rng.pick(b.clients);
          const size = rng.logInt(b.sizeMin, b.sizeMax);
          steps.push({ at, host: c, timeoutSec: 30, label: `http GET ${size} B from ${b.server}`, argv: ['curl', '-s', '-o', '/dev/null', '--max-time', '25', `http://${srv}/bytes/${size}`] });
        }
        break;
      }
      case 'dns_lookup': {
        const srv = byName.get(b.server)!.ip;
        dnsServers.add(b.server);
        for (const c of b.clients) byName.get(c)!.resolver ??= srv;
        for (let k = 0; k < b.count; k++) {
          const at = when();
          const c = rng.pick(b.clients);
          const name = rng.pick(b.names);
          steps.push({ at, host: c, timeoutSec: 10, label: `dns ${name}`, argv: ['getent', 'ahostsv4', name] });
        }
        break;
      }
      case 'ping': {
        for (let k = 0; k < b.count; k++) {
          const at = when();
          const c = rng.pick(b.clients);
          const candidates = b.targets.filter((t) => t !== c);
          if (candidates.length === 0) continue;
          const t = rng.pick(candidates);
          steps.push({ at, host: c, timeoutSec: b.packets + 4, label: `ping ${t}`, argv: ['ping', '-n', '-q', '-c', String(b.packets), '-i', '1', '-W', '1', byName.get(t)!.ip] });
        }
        break;
      }
      case 'tcp_session': {
        const srv = byName.get(b.server)!.ip;
        echoPorts.add(`${b.server}:${b.port}`);
        for (let k = 0; k < b.sessions; k++) {
          const at = r3(from + rng.uniform(0, Math.min(5, until - from)));
          const c = b.clients[k % b.clients.length];
          const pad = 'x'.repeat(rng.int(8, 120));
          const script = `i=0; while [ $i -lt ${b.messages} ]; do echo "msg $i ${pad}"; i=$((i+1)); sleep ${b.intervalSec}; done | socat -t 2 - TCP:${srv}:${b.port}`;
          steps.push({ at, host: c, timeoutSec: Math.ceil(b.messages * b.intervalSec + 10), label: `tcp session to ${b.server}:${b.port}`, argv: ['sh', '-c', script] });
        }
        break;
      }
      case 'upload': {
        const srv = byName.get(b.server)!.ip;
        wantHttp(b.server, 80);
        const gap = (until - from) / b.count;
        for (let k = 0; k < b.count; k++) {
          const at = r3(from + gap * k + rng.uniform(0, gap * 0.5));
          const c = rng.pick(b.clients);
          const size = rng.logInt(b.sizeMin, b.sizeMax);
          steps.push({ at, host: c, timeoutSec: 30, label: `upload ${size} B to ${b.server}`, argv: ['sh', '-c', `head -c ${size} /dev/urandom | curl -s -o /dev/null --max-time 25 --data-binary @- http://${srv}/upload`] });
        }
        break;
      }
    }
  }

  const prefix = subnetPrefix(s);
  const attacks: PlannedAttack[] = [];
  for (const a of s.attacks) {
    const { id, at, maxSeconds } = a;
    const srcNames = attackSources(a);
    let targets: string[];
    const params: Record<string, unknown> = { ...a };
    delete params.id;
    delete params.kind;
    delete params.at;
    delete params.from;
    delete params.to;
    const flood = (host: string, method: 'syn' | 'udp' | 'icmp', dst: string, port: number, count: number, intervalUs: number, dataBytes: number): PlannedStep => {
      const m = method === 'syn' ? ['-S', '-p', String(port)] : method === 'udp' ? ['--udp', '-p', String(port), '-d', String(dataBytes)] : ['--icmp', '-d', String(dataBytes)];
      return { at, host, timeoutSec: maxSeconds, attackId: id, label: `${a.kind} ${method} x${count} -> ${dst}`, argv: ['hping3', '-q', ...m, '-c', String(count), '-i', `u${intervalUs}`, dst] };
    };
    switch (a.kind) {
      case 'port_scan': {
        const dst = byName.get(a.to)!.ip;
        targets = [dst];
        const delay = a.scanDelayMs !== undefined ? ['--scan-delay', `${a.scanDelayMs}ms`] : [];
        steps.push({ at, host: a.from, timeoutSec: maxSeconds, attackId: id, label: `nmap -sS ${a.ports} -> ${a.to}`, argv: ['nmap', '-sS', '-Pn', '-n', '--send-ip', `-T${a.timing}`, ...delay, '--max-retries', '1', '--host-timeout', `${Math.max(1, maxSeconds - 1)}s`, '-p', a.ports, dst] });
        break;
      }
      case 'host_sweep': {
        targets = [];
        const attacker = byName.get(a.from)!;
        const live = new Set(hosts.map((h) => h.ip));
        for (let n = a.firstHost; n <= a.lastHost; n++) {
          const addr = `${prefix}.${n}`;
          if (addr === attacker.ip) continue;
          targets.push(addr);
          if (!live.has(addr)) attacker.deadNeighbours.push(addr);
        }
        steps.push({ at, host: a.from, timeoutSec: maxSeconds, attackId: id, label: `nmap -sn ${prefix}.${a.firstHost}-${a.lastHost}`, argv: ['nmap', '-sn', '-n', '--send-ip', `-T${a.timing}`, '--host-timeout', `${Math.max(1, maxSeconds - 1)}s`, `${prefix}.${a.firstHost}-${a.lastHost}`] });
        break;
      }
      case 'syn_flood':
        targets = [byName.get(a.to)!.ip];
        steps.push(flood(a.from, 'syn', targets[0], a.port, a.count, a.intervalUs, 0));
        break;
      case 'udp_flood':
        targets = [byName.get(a.to)!.ip];
        steps.push(flood(a.from, 'udp', targets[0], a.port, a.count, a.intervalUs, a.dataBytes));
        break;
      case 'icmp_flood':
        targets = [byName.get(a.to)!.ip];
        steps.push(flood(a.from, 'icmp', targets[0], 0, a.count, a.intervalUs, a.dataBytes));
        break;
      case 'ddos':
        targets = [byName.get(a.to)!.ip];
        for (const f of a.from) steps.push(flood(f, a.method, targets[0], a.port, a.count, a.intervalUs, 64));
        break;
      case 'exfiltration': {
        targets = [byName.get(a.to)!.ip];
        wantHttp(a.to, a.port);
        const file = `exfil-${id}.bin`;
        files.push({ name: file, bytes: a.bytes });
        const rate = a.rateBytesPerSec > 0 ? ['--limit-rate', String(a.rateBytesPerSec)] : [];
        steps.push({ at, host: a.from, timeoutSec: maxSeconds, attackId: id, label: `upload ${a.bytes} B -> ${a.to}:${a.port}`, argv: ['curl', '-s', '-o', '/dev/null', '--max-time', String(maxSeconds), ...rate, '-T', `${ctx.workDir}/${file}`, `http://${targets[0]}:${a.port}/upload`] });
        break;
      }
      case 'traffic_spike': {
        targets = [byName.get(a.to)!.ip];
        wantHttp(a.to, 80);
        // One curl per client, `parallel` transfers at a time, a new connection for each.
        for (const f of a.from) {
          const script = `curl -s -Z --parallel-max ${a.parallel} --max-time 20 -H 'Connection: close' 'http://${targets[0]}/bytes/${a.sizeBytes}?c=${f}&r=[1-${a.requestsPerClient}]' > /dev/null`;
          steps.push({ at, host: f, timeoutSec: maxSeconds, attackId: id, label: `spike ${a.requestsPerClient} GETs -> ${a.to}`, argv: ['sh', '-c', script] });
        }
        break;
      }
    }
    attacks.push({ id, kind: a.kind, type: ATTACK_ALERT_TYPE[a.kind], sources: srcNames.map((n) => byName.get(n)!.ip), targets, at, params });
  }

  for (const [host, ports] of [...httpPorts].sort((x, y) => x[0].localeCompare(y[0]))) {
    const ps = [...ports].sort((x, y) => x - y);
    services.push({ host, name: `httpd:${ps.join(',')}`, argv: [ctx.node, ctx.httpd, byName.get(host)!.ip, ...ps.map(String)], port: ps[0] });
  }
  for (const host of [...dnsServers].sort()) {
    const hip = byName.get(host)!.ip;
    services.push({
      host,
      name: 'dnsmasq',
      port: 0,
      argv: ['dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${hip}`, '--pid-file=', '--user=root', `--address=/lab.internal/${hip}`, '--cache-size=0', '--log-facility=-'],
    });
  }
  for (const key of [...echoPorts].sort()) {
    const [host, port] = key.split(':');
    services.push({ host, name: `echo:${port}`, port: Number(port), argv: ['socat', `TCP-LISTEN:${port},reuseaddr,fork`, 'PIPE'] });
  }
  for (const h of hosts) h.deadNeighbours.sort();
  steps.sort((x, y) => x.at - y.at || x.host.localeCompare(y.host));
  return { hosts, services, steps, attacks, files };
}
