import type { CaptureError } from './errors';
import type { RawFrame } from './raw-frame';

/** One capture format's framer; {@link CaptureFramer} picks one by magic number. */
export interface FormatFramer {
  /**
   * Frames every complete record in `buf[start, end)` (absolute stream offset `base` at
   * `start`), calling `onFrame` for packets; returns the bytes consumed. Stops early on damage
   * (sets `error`) or when a record is incomplete (sets `needed`: bytes required from the first
   * unconsumed byte to make progress).
   */
  feed(buf: Buffer, start: number, end: number, base: number): number;
  needed: number;
  error: CaptureError | null;
  /** The error for a stream that ends with unconsumed bytes at `offset`. */
  truncated(offset: number): CaptureError;
  /** Link types of the interfaces seen so far. */
  readonly linkTypes: Set<number>;
}

export type FrameHandler = (frame: RawFrame) => void;
