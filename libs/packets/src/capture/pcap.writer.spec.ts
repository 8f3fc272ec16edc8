import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_PCAPS, haveCommand, haveSharedPcaps, itIf } from '@netsentry/testing';
import { PcapWriter } from './pcap.writer';
import { CaptureFramer } from './framer';
import { readCaptureFile } from './reader';

/*
 * Round trip: frames read from real captures are written with PcapWriter; tshark and capinfos
 * must read the written file exactly as they read the original (bytes, lengths, times, link type).
 */
const canRun = haveSharedPcaps && haveCommand('tshark') && haveCommand('capinfos');
const reason = !haveSharedPcaps ? 'shared captures not found at ../shared/data/pcaps' : 'tshark/capinfos not installed (apt-get install tshark)';

function tsharkFrames(path: string): string[] {
  const opts = { encoding: 'utf8' as const, maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
  // Lengths, µs time and the dissected protocol stack of every frame...
  const fields = execFileSync('tshark', ['-n', '-r', path, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch', '-e', 'frame.protocols'], opts)
    .split('\n').filter((l) => l.length > 0).map((l) => l.replace(/^(\d+\t\d+\t\d+\.\d{6})\d*/, '$1'));
  // ...and the frame bytes (hex dump blocks, one per frame).
  const hex = execFileSync('tshark', ['-n', '-r', path, '-x'], opts).split('\n\n').map((b) => b.trim()).filter((b) => b.length > 0);
  expect(hex.length).toBe(fields.length);
  return fields.map((f, i) => `${f}\n${hex[i]}`);
}

function capinfos(path: string): Record<string, string> {
  const out = execFileSync('capinfos', ['-M', '-T', '-c', '-E', '-d', '-a', '-e', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [head, row] = out.trim().split('\n');
  const keys = head.split('\t');
  const vals = row.split('\t');
  const o: Record<string, string> = {};
  // Times to the microsecond: the writer stores µs, a source may have ns.
  keys.forEach((k, i) => { if (k !== 'File name') o[k] = vals[i].replace(/(\.\d{6})\d+$/, '$1'); });
  return o;
}

describe('PcapWriter round trip', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'netsentry-writer-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  // Ethernet + VLAN, SLL2, big-endian source, null link, pcapng + ns source.
  const files = ['zeek/vlan-collisions.pcap', 'suricata-verify/sll2-http.pcap', 'suricata-verify/nfs3.bigendian.pcap', 'suricata-verify/null-loopback-http.pcap', 'zeek/ldap-issue-32.sll.pcapng'];
  for (const f of files) {
    itIf(canRun, reason)(`${f}: tshark and capinfos read the rewritten file identically`, async () => {
      const src = join(SHARED_PCAPS, f);
      const out = join(dir, 'out.pcap');
      let w: PcapWriter | null = null;
      await readCaptureFile(src, () => undefined, {
        onFrame: (fr) => {
          w ??= new PcapWriter(out, { linkType: fr.linkType, bufferSize: 4096 });
          w.write(fr);
        },
      });
      const writer = w as PcapWriter | null;
      expect(writer).not.toBeNull();
      writer!.close();
      expect(writer!.bytesWritten).toBe(readFileSync(out).length);
      const a = tsharkFrames(src);
      const b = tsharkFrames(out);
      expect(b.length).toBe(a.length);
      expect(b).toEqual(a);
      const ca = capinfos(src);
      const cb = capinfos(out);
      expect(Object.keys(ca)).toEqual(['File encapsulation', 'Number of packets', 'Data size (bytes)', 'Start time', 'End time']);
      expect(cb).toEqual(ca);
    });
  }

  it('cuts frames to the snaplen and keeps the wire length; our reader reads it back', async () => {
    const out = join(dir, 'snap.pcap');
    const w = new PcapWriter(out, { linkType: 101, snaplen: 20 });
    const data = Buffer.alloc(60, 0x45);
    w.writePacket(1_700_000_000_654_321, data, 0, 60, 1500);
    w.writePacket(1_700_000_001_000_000, data, 10, 5, 5);
    w.close();
    w.close();
    expect(() => w.writePacket(0, data, 0, 1, 1)).toThrow(/after close/);
    const seen: number[][] = [];
    const framer = new CaptureFramer(out, (f) => seen.push([f.linkType, f.tsUs, f.capLen, f.wireLen]));
    framer.push(readFileSync(out));
    expect(framer.end()).toBeNull();
    expect(seen).toEqual([[101, 1_700_000_000_654_321, 20, 1500], [101, 1_700_000_001_000_000, 5, 5]]);
    const header = readFileSync(out).subarray(0, 24);
    expect(header.toString('hex')).toBe('d4c3b2a1020004000000000000000000' + '14000000' + '65000000');
  });
});
