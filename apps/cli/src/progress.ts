/**
 * Progress on long inputs: packets, MB/s, percentage and ETA, redrawn in place on a TTY
 * (stderr) at most five times a second. Quiet when stderr is not a TTY or with --quiet,
 * so piped output and CI logs stay clean.
 */
export interface ProgressSink {
  isTTY?: boolean;
  write(s: string): unknown;
}

export class Progress {
  private readonly enabled: boolean;
  private lastDraw = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly label: string,
    opts: { quiet?: boolean; stream?: ProgressSink } = {},
    private readonly stream: ProgressSink = opts.stream ?? process.stderr,
  ) {
    this.enabled = !opts.quiet && this.stream.isTTY === true;
  }

  /** Cheap to call per chunk; draws only every 200 ms. */
  update(packets: number, bytesRead: number, totalBytes: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.stream.write('\r' + formatProgress(this.label, packets, bytesRead, totalBytes, (now - this.started) / 1000) + '\x1b[K');
    this.drawn = true;
  }

  /** Clears the progress line so the summary starts on a clean line. */
  done(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[K');
  }
}

/** `analyze: 1,234,567 packets  45.2 MB/s  37%  ETA 12s` (the parts that are known). */
export function formatProgress(label: string, packets: number, bytesRead: number, totalBytes: number, elapsedS: number): string {
  const mbps = elapsedS > 0 ? bytesRead / 1e6 / elapsedS : 0;
  let s = `${label}: ${packets.toLocaleString('en-US')} packets  ${mbps.toFixed(1)} MB/s`;
  if (totalBytes > 0) {
    const frac = Math.min(1, bytesRead / totalBytes);
    s += `  ${Math.floor(frac * 100)}%`;
    if (frac > 0.01 && mbps > 0) s += `  ETA ${formatDuration((totalBytes - bytesRead) / 1e6 / mbps)}`;
  }
  return s;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
