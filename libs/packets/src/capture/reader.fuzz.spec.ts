import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SHARED_PCAPS, haveSharedPcaps, itIf } from '@netsentry/testing';
import { CaptureFramer } from './framer';
import { readCaptureFile } from './reader';
import type { CaptureErrorCode } from './errors';
import { decodeFrame } from '../decode/frame';
import { DECODE_ERROR_COUNT } from '../decode/errors';
import { PacketRecord } from '../packet';
import { ether, ipv4, ipv6, pcapFile, pcapngSection, prng, tcp, udp } from '../testing/capture.builder';

/*
 * Hostile files: every prefix of real captures, and thousands of seeded random corruptions.
 * The reader and decoder must never throw or hang, must deliver only whole records, and must
 * name the file and the byte offset of the damage.
 */
const CODES: ReadonlySet<CaptureErrorCode> = new Set<CaptureErrorCode>([
  'CAPTURE.EMPTY', 'PCAP.BAD_MAGIC', 'PCAP.TRUNCATED_HEADER', 'PCAP.TRUNCATED_RECORD', 'PCAP.BAD_RECORD_LENGTH',
  'PCAPNG.BAD_BYTE_ORDER', 'PCAPNG.UNSUPPORTED_VERSION', 'PCAPNG.BAD_BLOCK_LENGTH', 'PCAPNG.TRUNCATED_BLOCK',
  'PCAPNG.BAD_PACKET_LENGTH', 'PCAPNG.UNKNOWN_INTERFACE', 'PCAPNG.TOO_MANY_INTERFACES', 'GZIP.CORRUPT',
]);
const SMALL_SHARED = [
  'suricata-verify/null-loopback-http.pcap',
  'suricata-verify/vlan-ipv6-http.pcap',
  'zeek/ldap-issue-32.sll.pcapng',
  'zeek/pcapng-multi-interface.pcapng',
  'zeek/http-get-to-ssh-server.nanosec.pcap',
  'suricata-verify/nfs3.bigendian.pcap',
];
const sharedReason = 'shared captures not found at ../shared/data/pcaps';

/** Record/block boundaries of a well-formed file: offsets where a prefix is itself a valid capture. */
function boundaries(file: Buffer): number[] {
  const magic = file.readUInt32LE(0);
  const out: number[] = [];
  if (magic === 0x0a0d0d0a) {
    let le = true;
    for (let p = 0; p < file.length; ) {
      if (file.readUInt32LE(p) === 0x0a0d0d0a) le = file.readUInt32LE(p + 8) === 0x1a2b3c4d;
      p += le ? file.readUInt32LE(p + 4) : file.readUInt32BE(p + 4);
      out.push(p);
    }
  } else {
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    for (let p = 24; ; ) {
      out.push(p);
      if (p >= file.length) break;
      p += 16 + (le ? file.readUInt32LE(p + 8) : file.readUInt32BE(p + 8));
    }
  }
  return out;
}

interface Run { packets: number; error: ReturnType<CaptureFramer['end']>; }

/** Frames `file` pushed in chunks of the given sizes, decoding every frame. */
function run(name: string, file: Buffer, chunkSizes: () => number): Run {
  const rec = new PacketRecord();
  let packets = 0;
  const framer = new CaptureFramer(name, (f) => {
    packets++;
    const code = decodeFrame(f.linkType, f.buf, f.off, f.capLen, f.wireLen, f.tsUs, rec);
    if (!(code >= 0 && code < DECODE_ERROR_COUNT)) throw new Error(`bad decode code ${code}`);
  });
  for (let p = 0; p < file.length; ) {
    const n = Math.max(1, chunkSizes());
    framer.push(file.subarray(p, p + n));
    p += n;
    if (framer.error) break;
  }
  return { packets, error: framer.end() };
}

function checkError(name: string, fileLen: number, r: Run): string | null {
  const e = r.error;
  if (e === null) return null;
  if (!CODES.has(e.code)) return `unknown code ${e.code}`;
  if (!(e.offset >= 0 && e.offset <= fileLen)) return `offset ${e.offset} outside 0..${fileLen}`;
  if (!e.message.startsWith(`${name}: `) || !e.message.includes(`byte offset ${e.offset}`)) return `message lacks file/offset: ${e.message}`;
  return null;
}

describe('every prefix of a real capture', () => {
  for (const file of SMALL_SHARED) {
    itIf(haveSharedPcaps, sharedReason)(`${file}: each prefix yields the whole records before the cut and a truncation error at the cut record`, () => {
      const data = haveSharedPcaps ? readFileSync(join(SHARED_PCAPS, file)) : Buffer.alloc(0);
      const bounds = boundaries(data);
      const total = run(file, data, () => data.length).packets;
      const failures: string[] = [];
      for (let len = 0; len <= data.length; len++) {
        const prefix = data.subarray(0, len);
        const r = run(file, prefix, () => (len % 5 === 0 ? 1 + (len % 977) : len + 1));
        const whole = bounds.filter((b) => b <= len);
        const lastBound = whole.length ? whole[whole.length - 1] : 0;
        const isPcap = data.readUInt32LE(0) !== 0x0a0d0d0a;
        // Whole packet records inside the prefix (pcap: all records after the header; pcapng: counted by framing the cut file).
        const expectPackets = isPcap ? Math.max(0, whole.length - 1) : -1;
        let expectCode: string | null;
        if (len === 0) expectCode = 'CAPTURE.EMPTY';
        else if (len < 4) expectCode = 'PCAP.BAD_MAGIC';
        else if (bounds.includes(len)) expectCode = null;
        else if (isPcap) expectCode = len < 24 ? 'PCAP.TRUNCATED_HEADER' : 'PCAP.TRUNCATED_RECORD';
        else expectCode = 'PCAPNG.TRUNCATED_BLOCK';
        const got = r.error?.code ?? null;
        if (got !== expectCode) failures.push(`len ${len}: code ${got}, expected ${expectCode}`);
        if (got !== null && expectCode !== 'CAPTURE.EMPTY' && expectCode !== 'PCAP.BAD_MAGIC' && r.error!.offset !== (len < 24 && isPcap ? 0 : lastBound)) failures.push(`len ${len}: offset ${r.error!.offset}, expected ${lastBound}`);
        if (expectPackets >= 0 && r.packets !== expectPackets) failures.push(`len ${len}: ${r.packets} packets, expected ${expectPackets}`);
        if (r.packets > total) failures.push(`len ${len}: more packets than the whole file`);
        const m = checkError(file, len, r);
        if (m) failures.push(`len ${len}: ${m}`);
        if (failures.length > 10) break;
      }
      expect(failures).toEqual([]);
    });
  }

  itIf(haveSharedPcaps, sharedReason)('readCaptureFile on every prefix of a file and of its gzip: no throw, error names the file and offset', async () => {
    const data = readFileSync(join(SHARED_PCAPS, 'suricata-verify/vlan-ipv6-http.pcap'));
    const gz = gzipSync(data);
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-prefix-'));
    try {
      const failures: string[] = [];
      for (const [kind, whole] of [['pcap', data], ['gz', gz]] as const) {
        for (let len = 0; len <= whole.length; len++) {
          const path = join(dir, `prefix-${kind}-${len}`);
          writeFileSync(path, whole.subarray(0, len));
          const s = await readCaptureFile(path, () => undefined, { chunkSize: 1 });
          if (len === whole.length && (s.error || s.packets !== 7)) failures.push(`${kind} whole: ${s.error?.code} ${s.packets}`);
          if (len < whole.length && len > 0 && s.error === undefined && kind === 'gz') failures.push(`gz prefix ${len} read without error`);
          if (s.error && (!s.error.message.startsWith(`${path}: `) || !s.error.message.includes(`byte offset ${s.error.offset}`))) failures.push(`${kind} ${len}: ${s.error.message}`);
          rmSync(path);
          if (failures.length > 10) break;
        }
      }
      expect(failures).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('seeded random corruption', () => {
  const SEED = 0xfa22_0003;
  const CASES = 10_000;

  function corpus(): [string, Buffer][] {
    const pkts = [
      ether(0x0800, ipv4({ src: '10.1.1.1', dst: '10.2.2.2', proto: 6, payload: tcp({ sport: 1234, dport: 80, flags: 0x18, payload: Buffer.alloc(30) }) })),
      ether(0x86dd, ipv6({ src: 'fe80::1', dst: 'ff02::1', nh: 17, payload: udp(546, 547, Buffer.alloc(12)) }), [{ vid: 7 }]),
    ];
    const out: [string, Buffer][] = [
      ['built.pcap', pcapFile(pkts.map((d, i) => ({ tsUs: 1e15 + i, data: d })))],
      ['built-be-ns.pcap', pcapFile(pkts.map((d, i) => ({ tsUs: 1e15 + i, data: d })), { le: false, nanos: true })],
      ['built.pcapng', Buffer.concat([
        pcapngSection([{ linkType: 1 }, { linkType: 1, tsresol: 9 }], [{ kind: 'epb', ifId: 1, ts: 5n, data: pkts[0], options: true }, { kind: 'spb', data: pkts[1] }, { kind: 'raw', type: 4, body: Buffer.alloc(8) }]),
        pcapngSection([{ linkType: 101 }], [{ kind: 'opb', ifId: 0, ts: 5n, data: pkts[0].subarray(14) }], { le: false }),
      ])],
    ];
    if (haveSharedPcaps) {
      for (const f of SMALL_SHARED) out.push([f, readFileSync(join(SHARED_PCAPS, f))]);
      // The head (whole records) of two bigger real files.
      for (const f of ['zeek/irc-dcc-send.pcapng', 'suricata-verify/ipv6-denial6-5.pcap']) {
        const data = readFileSync(join(SHARED_PCAPS, f));
        const cut = boundaries(data).filter((b) => b <= 12_000).pop()!;
        out.push([f, data.subarray(0, cut)]);
      }
    }
    return out;
  }

  it(`${CASES} corrupted or truncated captures: no throw, no hang, damage named by file and offset`, () => {
    const rand = prng(SEED);
    const int = (n: number): number => Math.floor(rand() * n);
    const files = corpus();
    const failures: string[] = [];
    const codes = new Set<string>();
    const interesting = [0, 1, 11, 12, 13, 0x7fffffff, 0xffffffff, 0x10000000, 0x0a0d0d0a, 0x1a2b3c4d, 262144, 262145];
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const [name, base] = files[int(files.length)];
      let f = Buffer.from(base);
      for (let m = 1 + int(4); m > 0; m--) {
        const at = int(f.length);
        switch (int(6)) {
          case 0: f[at] = int(256); break;
          case 1: f[at] ^= 1 << int(8); break;
          case 2: if (at + 4 <= f.length) f.writeUInt32LE(interesting[int(interesting.length)] >>> 0, at); break;
          case 3: f = f.subarray(0, at); break;
          case 4: f = Buffer.concat([f.subarray(0, at), f.subarray(Math.min(f.length, at + 1 + int(40)))]); break;
          default: f = Buffer.concat([f.subarray(0, at), Buffer.from(f.subarray(Math.max(0, at - int(64)), at)), f.subarray(at)]);
        }
      }
      const label = `fuzz-${i}-${name}`;
      let r: Run;
      try {
        r = run(label, f, () => 1 + int(f.length + 1));
      } catch (e) {
        failures.push(`${label}: threw ${(e as Error).message}`);
        continue;
      }
      if (r.error) codes.add(r.error.code);
      const m = checkError(label, f.length, r);
      if (m && failures.length < 10) failures.push(`${label}: ${m}`);
    }
    expect(failures).toEqual([]);
    // A generator that only ever produced one outcome would prove little.
    expect(codes.size).toBeGreaterThanOrEqual(6);
    // Bounded work: this is a hang guard, not a speed assertion (the budget is generous).
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
