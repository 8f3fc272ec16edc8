import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile, RawFrame } from '@netsentry/packets';
import { haveCommand, haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { RollingPcapWriter } from './rolling-pcap.writer';

describe('RollingPcapWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-rolling-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('rotates by size, keeps the newest files, and what it keeps is readable', async () => {
    const w = new RollingPcapWriter({ dir, prefix: 'edge-1', linkType: 1, snaplen: 65535, rotateBytes: 64 * 1024, rotateMs: 3_600_000, keep: 3 });
    const copy = new RawFrame();
    let frames = 0;
    await readCaptureFile(join(SHARED_PCAPS, 'zeek/irc-dcc-send.pcapng'), () => undefined, {
      onFrame: (f) => {
        // the writer gets live-capture-like frames: own buffer, Ethernet
        copy.buf = Buffer.from(f.buf.subarray(f.off, f.off + f.capLen));
        copy.off = 0;
        copy.capLen = f.capLen;
        copy.wireLen = f.wireLen;
        copy.tsUs = f.tsUs;
        copy.linkType = 1;
        w.write(copy);
        frames++;
      },
    });
    await w.close();
    const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort();
    expect(w.filesWritten).toBeGreaterThan(3);
    expect(files.length).toBe(3);
    expect(w.errors).toBe(0);
    let kept = 0;
    for (const f of files) {
      const s = await readCaptureFile(join(dir, f), () => undefined);
      expect(s.error).toBeUndefined();
      kept += s.packets;
    }
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(frames);
    if (haveCommand('capinfos')) {
      const out = execFileSync('capinfos', ['-M', '-c', join(dir, files[files.length - 1])], { encoding: 'utf8' });
      expect(out).toMatch(/Number of packets:\s+\d+/);
    }
  });
});
