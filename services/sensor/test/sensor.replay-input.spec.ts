import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '@netsentry/messaging';

// `--replay` of something that is not a readable capture is a usage/input error: checked before
// Kafka is contacted, one line naming the file and the reason (the reader's code and byte offset
// for a bad capture), exit 2. The "broker" is a plain TCP listener that counts connections.
describe('sensor --replay input checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-replay-input-'));
  let server: Server;
  let connections = 0;
  let brokers = '';

  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    brokers = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    writeFileSync(join(dir, 'notes.pcap'), 'these are notes, not packets\n');
    writeFileSync(join(dir, 'empty.pcap'), '');
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['a missing file', 'missing.pcap', /missing\.pcap: cannot open capture file: .*no such file/i],
    ['a directory', '.', /: is a directory, not a capture file/],
    ['a file that is not a capture', 'notes.pcap', /notes\.pcap: not a pcap or pcapng file \(magic 0x74686573\) at byte offset 0 \(PCAP\.BAD_MAGIC\)/],
    ['an empty file', 'empty.pcap', /empty\.pcap: file is empty at byte offset 0 \(CAPTURE\.EMPTY\)/],
  ])('%s: exit 2 naming the file, no Kafka connection', async (_what, name, message) => {
    const file = join(dir, name);
    const s = startService('sensor', ['--replay', file, '--sensor-id', 'input-check'], { KAFKA_BROKERS: brokers });
    const code = await s.exited;
    const out = s.lines.join('\n');
    expect(out).toMatch(message);
    expect(out).toContain(name === '.' ? dir : file);
    expect(out).not.toMatch(/"event":"started"/);
    expect(code).toBe(2);
    expect(connections).toBe(0);
  }, 30000);
});
