import { readFileSync } from 'node:fs';

const CAP_NET_RAW = 13;

/** True when this process may open a packet socket (root, or CAP_NET_RAW in the effective set). */
export function canCapture(): boolean {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return true;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (!m) return false;
    return (BigInt('0x' + m[1]) & (1n << BigInt(CAP_NET_RAW))) !== 0n;
  } catch {
    return false;
  }
}

export const CAPTURE_PERMISSION_MESSAGE =
  'live capture needs root or the CAP_NET_RAW capability: run as root, or grant it once with ' +
  '`sudo setcap cap_net_raw,cap_net_admin=eip "$(command -v node)"`, or replay a file with --replay FILE';
