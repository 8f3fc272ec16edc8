import { readCaptureFile, decodeFrame, PacketRecord, type CaptureSummary } from '@netsentry/packets';
import { CliError } from './errors';
import { checkCaptureFile, type InputFile } from './inputs';
import { Progress } from './progress';

/**
 * Where packets come from: capture files read in order as one stream, or a live interface
 * through libpcap (`cap`). Both feed the same `onPacket` (the pipeline's push).
 */
export interface FileRunResult {
  files: InputFile[];
  summaries: CaptureSummary[];
  packets: number;
  bytesRead: number;
  /** One line per damaged file: read up to the damage. */
  warnings: string[];
}

export interface FileRunOptions {
  label: string;
  quiet?: boolean;
  /** Called between chunks with the fraction of all input read so far. */
  onFraction?: (fraction: number) => void;
}

/**
 * Reads every file in turn. Throws CliError (exit 2) for unreadable and non-capture files found
 * before any work (see checkCaptureFile); a file that turns out unreadable only when read (a
 * capture header cut short, an unsupported version, a pipe that holds no capture) ends the run
 * (exit 2) when no file gave a packet, and is skipped with a warning otherwise.
 */
export async function readFiles(paths: string[], onPacket: (rec: PacketRecord) => void, opts: FileRunOptions): Promise<FileRunResult> {
  if (paths.length === 0) throw new CliError('CLI.USAGE', 'no capture file given');
  const files = paths.map(checkCaptureFile);
  const total = files.reduce((s, f) => s + f.size, 0);
  const progress = new Progress(opts.label, { quiet: opts.quiet });
  let packets = 0;
  let done = 0;
  // Position in the current file, estimated per packet (record header + captured bytes), so the
  // train-on-first-part point is found within a few thousand packets, not only per 4 MiB chunk.
  let approx = 0;
  let size = 0;
  const count = (rec: PacketRecord): void => {
    packets++;
    approx += rec.capLen + 16;
    onPacket(rec);
    if ((packets & 4095) === 0 && opts.onFraction && total > 0) opts.onFraction((done + Math.min(approx, size)) / total);
  };
  const summaries: CaptureSummary[] = [];
  const warnings: string[] = [];
  const unreadable: string[] = [];
  for (const f of files) {
    let summary: CaptureSummary;
    approx = 24;
    size = f.size;
    try {
      summary = await readCaptureFile(f.path, count, {
        onProgress: (read: number) => {
          progress.update(packets, done + read, total);
          opts.onFraction?.(total > 0 ? (done + read) / total : 1);
        },
      });
    } catch (e) {
      progress.done();
      throw new CliError('CLI.INPUT_UNREADABLE', `${f.path}: cannot read: ${(e as Error).message}`);
    }
    done += f.size;
    summaries.push(summary);
    if (summary.error) {
      if (summary.packets === 0 && summary.error.offset <= 24) {
        const why = `${f.path}: not a readable capture: ${stripFile(summary.error.message, f.path)} [${summary.error.code}]`;
        unreadable.push(why);
        if (unreadable.length === files.length) {
          progress.done();
          throw new CliError('CLI.NOT_A_CAPTURE', unreadable.length === 1 ? why : `no file is a readable capture:\n  ${unreadable.join('\n  ')}`);
        }
        warnings.push(`warning: ${why}; skipped`);
        opts.onFraction?.(total > 0 ? done / total : 1);
        continue;
      }
      warnings.push(
        `warning: ${f.path} is damaged at byte offset ${summary.error.offset}: ${stripFile(summary.error.message, f.path)} ` +
          `[${summary.error.code}]; analysed the ${summary.packets} packets before it`,
      );
    }
    opts.onFraction?.(total > 0 ? done / total : 1);
  }
  progress.done();
  return { files, summaries, packets, bytesRead: done, warnings };
}

/** The reader's messages may already name the file, the offset and the code; say each once. */
function stripFile(message: string, path: string): string {
  let m = message.startsWith(path) ? message.slice(path.length).replace(/^[:\s]+/, '') : message;
  m = m.replace(/\s*\([A-Z]+\.[A-Z_]+\)\s*$/, '');
  return m;
}

/** libpcap link type names as `cap` reports them → LINKTYPE_* numbers the decoder takes. */
const CAP_LINK_TYPES: Record<string, number> = { NULL: 0, ETHERNET: 1, RAW: 101, LINKTYPE_LINUX_SLL: 113 };

export interface LiveOptions {
  iface: string;
  bpf?: string;
  /** Stop after this many seconds (default: until Ctrl-C). */
  durationS?: number;
  /** Stop after this many packets (capture -c). */
  count?: number;
  snaplen?: number;
  bufferSize?: number;
  /** Wall-clock tick (every 500 ms) with the current time in µs: flows expire on an idle link. */
  onTick?: (nowUs: number) => void;
  /** Called once the interface is open and capturing (before, packets are not seen yet). */
  onOpen?: () => void;
  /** Raw frame access (capture -w): the buffer is reused, copy what you keep. */
  onFrame?: (buf: Buffer, capLen: number, wireLen: number, tsUs: number, linkType: number) => void;
}

export interface LiveResult {
  packets: number;
  decodeErrors: number;
  linkType: number;
}

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(ev: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?: (n: number) => void;
}

/** Captures live until --duration, -c, or SIGINT/SIGTERM. Packet time is the wall clock (µs). */
export async function captureLive(onPacket: ((rec: PacketRecord) => void) | null, opts: LiveOptions): Promise<LiveResult> {
  let capMod: { Cap: { new (): CapHandle; deviceList(): Array<{ name: string }> } };
  try {
    capMod = require('cap');
  } catch (e) {
    throw new CliError('CLI.CAPTURE_UNAVAILABLE', `live capture needs the 'cap' module (libpcap): ${(e as Error).message}`);
  }
  const names = capMod.Cap.deviceList().map((d) => d.name);
  if (!names.includes(opts.iface))
    throw new CliError('CLI.CAPTURE_UNAVAILABLE', `${opts.iface}: no such interface (available: ${names.join(', ') || 'none'})`);
  const c = new capMod.Cap();
  const snap = opts.snaplen ?? 65535;
  const buf = Buffer.alloc(snap);
  let linkName: string;
  try {
    linkName = c.open(opts.iface, opts.bpf ?? '', opts.bufferSize ?? 16 * 1024 * 1024, buf);
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /permission|not permitted/i.test(msg) ? ' (live capture needs root or CAP_NET_RAW)' : '';
    throw new CliError('CLI.CAPTURE_UNAVAILABLE', `${opts.iface}: cannot capture: ${msg}${hint}`);
  }
  const linkType = CAP_LINK_TYPES[linkName] ?? -1;
  if (linkType < 0) {
    c.close();
    throw new CliError('CLI.CAPTURE_UNAVAILABLE', `${opts.iface}: unsupported link type ${linkName}`);
  }
  c.setMinBytes?.(0);
  opts.onOpen?.();
  // Epoch µs from a monotonic clock: wall-clock steps never make packet time go backwards.
  const baseUs = Date.now() * 1000 - Number(process.hrtime.bigint() / 1000n);
  const nowUs = (): number => baseUs + Number(process.hrtime.bigint() / 1000n);
  const rec = new PacketRecord();
  const result: LiveResult = { packets: 0, decodeErrors: 0, linkType };
  return new Promise<LiveResult>((resolve) => {
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (deadline) clearTimeout(deadline);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      c.close();
      // Let a packet event already queued drain before the caller flushes.
      setImmediate(() => resolve(result));
    };
    c.on('packet', (nbytes: number) => {
      if (stopped) return;
      const ts = nowUs();
      const capLen = Math.min(nbytes, snap);
      result.packets++;
      opts.onFrame?.(buf, capLen, nbytes, ts, linkType);
      if (onPacket) {
        if (decodeFrame(linkType, buf, 0, capLen, nbytes, ts, rec) === 0) onPacket(rec);
        else result.decodeErrors++;
      }
      if (opts.count !== undefined && result.packets >= opts.count) stop();
    });
    const timer = setInterval(() => opts.onTick?.(nowUs()), 500);
    const deadline = opts.durationS !== undefined ? setTimeout(stop, opts.durationS * 1000) : undefined;
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
