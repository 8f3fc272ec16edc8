/** Unchecked little/big-endian reads; callers check bounds once before a run of reads. */
export function u32le(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
export function u32be(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function u16le(b: Buffer, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function u16be(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
