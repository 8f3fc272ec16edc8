import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_PCAPS, haveCommand, haveSharedPcaps, itIf } from '@netsentry/testing';
import { CaptureFramer } from '../capture/framer';
import { decodeFrame } from './frame';
import { ipToString } from '../address';
import { L3, PacketRecord } from '../packet';

/*
 * Per-packet agreement with Wireshark's dissectors: for every frame of every shared capture,
 * lengths, timestamps, VLAN, addresses, TTL, protocol, ports, TCP flags/seq/ack/window,
 * ICMP type/code and ARP fields must equal what `tshark -T fields` prints. IP reassembly is
 * off so each fragment is compared as captured; `occurrence=f` takes the outermost header.
 */
const FIELDS = [
  'frame.number', 'frame.len', 'frame.cap_len', 'frame.time_epoch', 'vlan.id',
  'ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.window_size_value',
  'udp.srcport', 'udp.dstport', 'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
  'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;

const canRun = haveSharedPcaps && haveCommand('tshark') && haveCommand('mergecap');
const reason = !haveSharedPcaps ? 'shared captures not found at ../shared/data/pcaps' : 'tshark/mergecap not installed (apt-get install tshark)';
const index: { file: string; packets: number }[] = haveSharedPcaps
  ? (JSON.parse(readFileSync(join(SHARED_PCAPS, 'index.json'), 'utf8')) as { files: { file: string; packets: number }[] }).files
  : [{ file: 'none', packets: 0 }];

function tshark(path: string): Row[] {
  const args = ['-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=/t'];
  for (const f of FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((line) => {
    const cols = line.split('\t');
    const row = {} as Row;
    FIELDS.forEach((f, i) => { row[f] = cols[i] ?? ''; });
    return row;
  });
}

/** '1566411407.841604000' → integer µs, truncating like the pcap reader does for ns files. */
function epochToUs(s: string): number {
  const [sec, frac = ''] = s.split('.');
  return Number(sec) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

const num = (s: string): number => (s === '' ? 0 : Number(s));

/** Describes every disagreement between our record and tshark's row for one frame. */
function compare(r: PacketRecord, t: Row): string[] {
  const bad: string[] = [];
  const eq = (what: string, ours: unknown, theirs: unknown): void => {
    if (ours !== theirs) bad.push(`${what}: ours ${String(ours)} tshark ${String(theirs)}`);
  };
  eq('frame.len', r.wireLen, num(t['frame.len']));
  eq('frame.cap_len', r.capLen, num(t['frame.cap_len']));
  eq('time', r.tsUs, epochToUs(t['frame.time_epoch']));
  eq('vlan', r.vlanOuter, num(t['vlan.id']));
  const tsharkIp = t['ip.src'] !== '' ? L3.IPv4 : t['ipv6.src'] !== '' ? L3.IPv6 : t['arp.opcode'] !== '' ? L3.ARP : L3.None;
  // An IPv6 packet tunnelled in IPv4 (or the reverse) shows both; the outer one is ours.
  if (!(r.l3 === L3.IPv4 && t['ip.src'] !== '') && !(r.l3 === L3.IPv6 && t['ipv6.src'] !== '')) eq('network layer', r.l3, tsharkIp);
  if (r.l3 === L3.IPv4) {
    eq('ip.src', ipToString(r.src), t['ip.src']);
    eq('ip.dst', ipToString(r.dst), t['ip.dst']);
    eq('ip.proto', r.proto, num(t['ip.proto']));
    eq('ip.ttl', r.ttl, num(t['ip.ttl']));
  } else if (r.l3 === L3.IPv6) {
    eq('ipv6.src', ipToString(r.src), t['ipv6.src']);
    eq('ipv6.dst', ipToString(r.dst), t['ipv6.dst']);
    eq('ipv6.hlim', r.ttl, num(t['ipv6.hlim']));
  } else if (r.l3 === L3.ARP) {
    eq('arp.opcode', r.arpOp, num(t['arp.opcode']));
    eq('arp.src', ipToString(r.src), t['arp.src.proto_ipv4']);
    eq('arp.dst', ipToString(r.dst), t['arp.dst.proto_ipv4']);
  }
  const hasPorts = !r.isFragment || r.isFirstFragment;
  if (r.l3 === L3.IPv4 || r.l3 === L3.IPv6) {
    if (r.proto === 6 && hasPorts) {
      eq('tcp.srcport', r.srcPort, num(t['tcp.srcport']));
      eq('tcp.dstport', r.dstPort, num(t['tcp.dstport']));
      eq('tcp.flags', r.tcpFlags, num(t['tcp.flags']) & 0xff);
      eq('tcp.seq', r.seq, num(t['tcp.seq_raw']));
      eq('tcp.ack', r.ack, num(t['tcp.ack_raw']));
      eq('tcp.window', r.window, num(t['tcp.window_size_value']));
    } else if (r.proto === 17 && hasPorts) {
      eq('udp.srcport', r.srcPort, num(t['udp.srcport']));
      eq('udp.dstport', r.dstPort, num(t['udp.dstport']));
    } else if (r.proto === 1 && hasPorts) {
      eq('icmp.type', r.icmpType, num(t['icmp.type']));
      eq('icmp.code', r.icmpCode, num(t['icmp.code']));
    } else if (r.proto === 58 && hasPorts) {
      eq('icmpv6.type', r.icmpType, num(t['icmpv6.type']));
      eq('icmpv6.code', r.icmpCode, num(t['icmpv6.code']));
    } else if (r.proto !== 4 && r.proto !== 41 && r.proto !== 47) {
      // Nothing we leave undecoded may be a TCP or UDP header tshark found.
      eq('tcp/udp seen by tshark only', '', t['tcp.srcport'] + t['udp.srcport']);
    }
    if (r.proto !== 6 && t['tcp.srcport'] !== '' && t['icmp.type'] === '' && t['icmpv6.type'] === '' && r.proto !== 4 && r.proto !== 41 && r.proto !== 47) {
      bad.push(`tshark saw TCP, our transport is ${r.proto}`);
    }
  }
  return bad;
}

describe('decoder agrees with tshark on every shared capture', () => {
  // tshark's start-up (loading every dissector) costs more than most of these files: run it once
  // over all of them appended in order (mergecap -a keeps each file's frames and link types),
  // then give each file its slice. Our side still reads each original file.
  let all: Row[] = [];
  const dir = canRun ? mkdtempSync(join(tmpdir(), 'netsentry-agree-')) : '';
  beforeAll(() => {
    if (!canRun) return;
    const merged = join(dir, 'all.pcapng');
    execFileSync('mergecap', ['-a', '-F', 'pcapng', '-w', merged, ...index.map((f) => join(SHARED_PCAPS, f.file))], { stdio: 'ignore' });
    all = tshark(merged);
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  itIf(canRun, reason)('tshark saw every packet of the appended captures', () => {
    expect(all.length).toBe(index.reduce((n, f) => n + f.packets, 0));
  });

  let start = 0;
  for (const { file, packets } of index) {
    const from = start;
    start += packets;
    itIf(canRun, reason)(`${file}: per-packet fields equal tshark -T fields`, () => {
      const path = join(SHARED_PCAPS, file);
      const rows = all.slice(from, from + packets);
      const rec = new PacketRecord();
      const mismatches: string[] = [];
      let i = 0;
      const framer = new CaptureFramer(path, (f) => {
        const code = decodeFrame(f.linkType, f.buf, f.off, f.capLen, f.wireLen, f.tsUs, rec);
        const t = rows[i++];
        if (t === undefined) return;
        if (code !== 0) mismatches.push(`frame ${i} (appended file frame ${t['frame.number']}): decode error ${code}`);
        else for (const m of compare(rec, t)) if (mismatches.length < 20) mismatches.push(`frame ${i} (appended file frame ${t['frame.number']}): ${m}`);
      });
      framer.push(readFileSync(path));
      expect(framer.end()).toBeNull();
      expect(i).toBe(rows.length);
      expect(mismatches).toEqual([]);
    });
  }
});
