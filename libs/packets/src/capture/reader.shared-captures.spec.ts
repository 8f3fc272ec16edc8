import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { readCaptureFile } from './reader';
import { L3 } from '../packet';

interface IndexEntry {
  file: string;
  link_type: string;
  file_format: string;
  packets: number;
  vlan_packets: number;
  ipv6_packets: number;
  first_packet: string;
  interfaces: number;
}

const LINK: Record<string, number> = { ether: 1, 'linux-sll': 113, 'linux-sll2': 276, rawip: 101, null: 0 };
const entries: IndexEntry[] = haveSharedPcaps
  ? (JSON.parse(readFileSync(join(SHARED_PCAPS, 'index.json'), 'utf8')) as { files: IndexEntry[] }).files
  : [];

/** '2019-08-21 18:16:47.841604[000]' (UTC) → µs since the epoch. */
function utcToUs(s: string): number {
  const [date, time] = s.split(' ');
  const [hms, frac = ''] = time.split('.');
  const sec = Date.parse(`${date}T${hms}Z`) / 1000;
  return sec * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

describe('readCaptureFile on the shared third-party captures', () => {
  itIf(haveSharedPcaps, 'shared captures not found at ../shared/data/pcaps')('lists 35 captures', () => {
    expect(entries.length).toBe(35);
  });

  for (const e of entries.length ? entries : [{ file: 'none' } as IndexEntry]) {
    itIf(haveSharedPcaps, 'shared captures not found at ../shared/data/pcaps')(`reads ${e.file} like capinfos`, async () => {
      let vlan = 0;
      let ipv6 = 0;
      let firstSeen = -1;
      const s = await readCaptureFile(join(SHARED_PCAPS, e.file), (r) => {
        if (firstSeen < 0) firstSeen = r.tsUs;
        if (r.vlanOuter !== 0) vlan++;
        if (r.l3 === L3.IPv6) ipv6++;
      });
      expect(s.error).toBeUndefined();
      expect(s.packets).toBe(e.packets);
      expect(s.decoded).toBe(e.packets);
      expect(s.decodeErrors).toEqual({});
      expect(s.unsupported).toBe(0);
      expect(s.format).toBe(e.file_format.startsWith('pcapng') ? 'pcapng' : 'pcap');
      expect(s.linkTypes).toEqual([LINK[e.link_type]]);
      expect(vlan).toBe(e.vlan_packets);
      expect(ipv6).toBe(e.ipv6_packets);
      expect(firstSeen).toBe(utcToUs(e.first_packet));
    });
  }
});
