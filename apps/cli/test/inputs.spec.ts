import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveSharedPcaps, itIf } from '@netsentry/testing';
import { BIN, cli, pcap, REPO, SAMPLES, tempDir } from './helpers';

/** Bad input: one clear line naming the file and the reason, exit 2; damage part-way: a warning with the offset. */
describe('input errors', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => (tmp = tempDir()));
  afterAll(() => tmp.cleanup());

  it.each(['analyze', 'flows', 'hosts', 'train'])('%s: a missing file → exit 2, one line naming it', async (cmd) => {
    const missing = join(tmp.dir, 'nope.pcap');
    const args = cmd === 'train' ? [cmd, missing, '-o', join(tmp.dir, 'm.json')] : [cmd, missing];
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([`netsentry: ${missing}: cannot read: no such file`]);
  });

  it('a text file is not a capture → exit 2, the magic bytes named, no output created', async () => {
    const out = join(tmp.dir, 'out-text');
    const r = await cli(['analyze', join(REPO, 'README.md'), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/README\.md: not a capture file \(starts with 0x[0-9a-f]{8}, expected a pcap, pcapng or gzip magic number\)/);
    expect(() => readFileSync(join(out, 'summary.json'))).toThrow();
  });

  it('an empty file and a directory → exit 2 with the reason', async () => {
    const empty = join(tmp.dir, 'empty.pcap');
    writeFileSync(empty, '');
    const r1 = await cli(['flows', empty]);
    expect(r1.code).toBe(2);
    expect(r1.err).toContain(`${empty}: not a capture file (the file is empty)`);
    const r2 = await cli(['hosts', tmp.dir]);
    expect(r2.code).toBe(2);
    expect(r2.err).toContain(`${tmp.dir}: is a directory`);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('a pcap header with garbage after it is read up to the damage', async () => {
    const f = join(tmp.dir, 'header-only.pcap');
    const real = readFileSync(pcap('zeek/http-bro.org.pcap'));
    writeFileSync(f, Buffer.concat([real.subarray(0, 24), Buffer.from('x'.repeat(40))]));
    const out = join(tmp.dir, 'h.csv');
    const r = await cli(['flows', f, '-o', out]);
    expect(r.code === 0 || r.code === 2).toBe(true);
    expect(r.err).toContain(f);
    expect(r.err).toMatch(/byte offset 24\b/);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('a capture truncated part-way is analysed up to the damage, warning with the byte offset', async () => {
    const src = readFileSync(pcap('esnet-curated/masscan_tcp_0_1000_20190821.pcap'));
    const f = join(tmp.dir, 'truncated.pcap');
    writeFileSync(f, src.subarray(0, 40_000));
    // Where the last complete record ends: walk the records (little-endian pcap).
    let off = 24;
    let packets = 0;
    while (off + 16 <= 40_000 && off + 16 + src.readUInt32LE(off + 8) <= 40_000) {
      off += 16 + src.readUInt32LE(off + 8);
      packets++;
    }
    const out = join(tmp.dir, 'trunc-out');
    const r = await cli(['analyze', f, '--out', out, '--quiet', '--format', 'json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.packets).toBe(packets);
    expect(summary.inputs[0].error.offset).toBe(off);
    expect(summary.warnings[0]).toContain(`${f} is damaged at byte offset ${off}`);
    expect(summary.warnings[0]).toContain(`analysed the ${packets} packets before it`);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('a record with an impossible length mid-file: warning names the offset, earlier packets counted', async () => {
    const d = Buffer.from(readFileSync(pcap('zeek/http-bro.org.pcap')));
    let off = 24;
    for (let i = 0; i < 300; i++) off += 16 + d.readUInt32LE(off + 8);
    d.writeUInt32LE(0x7fffffff, off + 8);
    const f = join(tmp.dir, 'corrupt.pcap');
    writeFileSync(f, d);
    const r = await cli(['flows', f, '-o', join(tmp.dir, 'c.csv')]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`warning: ${f} is damaged at byte offset ${off}`);
    expect(r.err).toContain('analysed the 300 packets before it');
  });

  it('a file that is no capture once read is skipped with a warning when another file gave packets; when none did, exit 2 naming each', async () => {
    const demo = join(SAMPLES, 'demo.pcap');
    const cut = join(tmp.dir, 'header-cut.pcap');
    writeFileSync(cut, readFileSync(demo).subarray(0, 12)); // pcap magic, header cut short
    const alone = join(tmp.dir, 'alone.csv');
    const both = join(tmp.dir, 'both.csv');
    expect((await cli(['flows', demo, '-o', alone])).code).toBe(0);
    const r = await cli(['flows', demo, cut, '-o', both]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`warning: ${cut}: not a readable capture: .*PCAP.TRUNCATED_HEADER.*; skipped`));
    expect(readFileSync(both)).toEqual(readFileSync(alone));

    const none = await cli(['flows', cut, cut]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('no file is a readable capture');
    expect(none.err.split(`${cut}: not a readable capture`)).toHaveLength(3);
  });

  it('`-` reads a capture from standard input (here gzip-compressed), the same flows as from the file', () => {
    const demo = join(SAMPLES, 'demo.pcap');
    const fromFile = join(tmp.dir, 'file.csv');
    const fromPipe = join(tmp.dir, 'pipe.csv');
    expect(spawnSync(process.execPath, [BIN, 'flows', demo, '-o', fromFile], { cwd: REPO }).status).toBe(0);
    // A shell pipe, as users run it (spawnSync's `input` is a socket, which /dev/stdin cannot open).
    const r = spawnSync('sh', ['-c', `gzip -c "$1" | "$2" "$3" flows - -o "$4"`, 'sh', demo, process.execPath, BIN, fromPipe], { cwd: REPO, encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('wrote 8703 flows')]);
    expect(readFileSync(fromPipe)).toEqual(readFileSync(fromFile));
  });

  it('a reader that closes standard output early (| head) does not stop the run: exit 0, the report is written', async () => {
    const out = join(tmp.dir, 'piped');
    const child = spawn(process.execPath, [BIN, 'analyze', join(SAMPLES, 'demo.pcap'), '--out', out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // Like `head -1`: take the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect([code, err]).toEqual([0, expect.not.stringContaining('EPIPE')]);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  }, 60_000);
});
