/**
 * Agreement: per conversation and direction, the flow table's packet and frame-byte counts
 * equal tshark's (`-z conv,tcp`, `-z conv,udp`, and exact per-packet fields) on the shared
 * third-party captures and on a capture recorded here between two network namespaces.
 * tshark has no timeouts and no VLAN in its key, so flows are summed per conversation
 * (compareWithTshark); every capture here is shorter than the 120 s idle timeout or is
 * compared within its splits the same way.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveCommand, haveSharedPcaps, isRoot, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { compareWithTshark, flowsOf } from './testing/flows-of';
import { NETNS_TOOLS, recordNetnsCapture } from './testing/netns-capture';

function listCaptures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listCaptures(p));
    else if (/\.pcap(ng)?$/.test(name)) out.push(p);
  }
  return out.sort();
}

const tshark = haveCommand('tshark');
const captures = haveSharedPcaps ? listCaptures(SHARED_PCAPS) : [];

describe('flow table agrees with tshark conversations', () => {
  itIf(tshark && haveSharedPcaps, !tshark ? 'tshark not installed' : 'shared captures missing')(
    'has all 35 shared captures to compare', () => {
      expect(captures).toHaveLength(35);
    });

  for (const file of captures.length ? captures : ['(shared captures)']) {
    const name = file.startsWith(SHARED_PCAPS) ? file.slice(SHARED_PCAPS.length + 1) : file;
    itIf(tshark && haveSharedPcaps, !tshark ? 'tshark not installed' : 'shared captures missing')(name, async () => {
      const { flows } = await flowsOf(file);
      const r = compareWithTshark(file, flows);
      expect(r.mismatches).toEqual([]);
    });
  }

  it('counts the VLAN-collision capture as three flows that tshark sees as one conversation', async () => {
    if (!haveSharedPcaps) return;
    const { flows } = await flowsOf(join(SHARED_PCAPS, 'zeek/vlan-collisions.pcap'));
    expect(flows.map((f) => `${f.vlan}/${f.vlanInner}`).sort()).toEqual(['0/0', '10/20', '42/0']);
    expect(new Set(flows.map((f) => `${f.srcIp}:${f.srcPort}-${f.dstIp}:${f.dstPort}`)).size).toBe(1);
  });

  const nsReady = isRoot && tshark && NETNS_TOOLS.every((t) => haveCommand(t));
  itIf(nsReady, isRoot ? `needs ${NETNS_TOOLS.join(', ')}, tshark` : 'needs root for network namespaces')(
    'a capture recorded between two network namespaces (curl, ping, nmap -sS, UDP)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flows-netns-'));
      try {
        const { file, client, server } = await recordNetnsCapture(join(dir, 'netns.pcap'));
        const { flows } = await flowsOf(file);
        const r = compareWithTshark(file, flows);
        expect(r.mismatches).toEqual([]);
        const ours = flows.filter((f) => f.srcIp === client && f.dstIp === server);
        // Three completed HTTP exchanges, the ping, scan probes answered by RST, the UDP exchange.
        expect(ours.filter((f) => f.dstPort === 8080 && f.state === 'established').length).toBeGreaterThanOrEqual(3);
        expect(ours.filter((f) => f.proto === 1 && f.state === 'two_way')).toHaveLength(1);
        expect(ours.filter((f) => f.proto === 6 && f.dstPort >= 20 && f.dstPort <= 25 && f.state === 'rejected')).toHaveLength(6);
        expect(ours.some((f) => f.proto === 17 && f.dstPort === 9999)).toBe(true);
        expect(r.conversations).toBeGreaterThanOrEqual(10);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 90000);
});
