import { packedFeaturesMaxBytes, packFeatures, unpackFeatures } from '@netsentry/contracts';

/**
 * The stored form of a flow's feature values (`flows.features`, bytea): a format byte (1), the
 * count d (uint16, little-endian), then the d values packed (libs/contracts feature-pack.ts: zeros
 * in no bytes, int16 in 2, float32-exact values and -0 in 4, the rest in 8; exact, bit for bit).
 * 88 values take 40-50 bytes for a flood's flows and ~300 for ordinary ones, where plain float64s
 * took 704: PostgreSQL writes (heap and WAL) a third of the bytes per stored flood flow
 * (docs/bench/pipeline.md).
 */

/** Format byte of a packed block. */
export const FEATURE_BLOCK_FORMAT = 1;
const HEADER = 3;

/** Bytes a block of `d` values takes at most. */
export function featureBlockMaxBytes(d: number): number {
  return HEADER + packedFeaturesMaxBytes(d);
}

/**
 * Writes the block of `values[from .. from + d)` at `out[p]` (room for featureBlockMaxBytes(d)
 * is the caller's); returns the position after it. `dv` views `out`'s bytes.
 */
export function writeFeatureBlock(values: ArrayLike<number>, from: number, d: number, out: Uint8Array, dv: DataView, p: number): number {
  out[p] = FEATURE_BLOCK_FORMAT;
  out[p + 1] = d & 0xff;
  out[p + 2] = d >> 8;
  return packFeatures(values, from, d, out, dv, p + HEADER);
}

/**
 * Writes a block whose values are already packed (`packed[from .. to)`: one flow's features of a
 * version 2 flow batch, checked by its decoder) at `out[p]`; returns the position after it.
 */
export function writePackedFeatureBlock(d: number, packed: Uint8Array, from: number, to: number, out: Uint8Array, p: number): number {
  out[p] = FEATURE_BLOCK_FORMAT;
  out[p + 1] = d & 0xff;
  out[p + 2] = d >> 8;
  out.set(packed.subarray(from, to), p + HEADER);
  return p + HEADER + (to - from);
}

/** The block of `values` as a Buffer of its own. */
export function featureBlock(values: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(featureBlockMaxBytes(values.length));
  const end = writeFeatureBlock(values, 0, values.length, out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0);
  return out.subarray(0, end);
}

/**
 * The values of a stored row's `features` block, or undefined when it is not one: another
 * format, truncated, bytes left over, or a non-finite value (the writers store none; a float64
 * NaN marks a NULL element of a row written before the packed form). -0 reads as 0. Never reads
 * outside `block`.
 */
export function featureValues(block: Uint8Array | null | undefined): Float64Array | undefined {
  const v = unpackBlock(block, true);
  if (v) for (let c = 0; c < v.length; c++) v[c] += 0;
  return v;
}

/** featureValues keeping non-finite values and -0 (the migrations convert them as they are). */
export function featureValuesRaw(block: Uint8Array | null | undefined): Float64Array | undefined {
  return unpackBlock(block, false);
}

function unpackBlock(block: Uint8Array | null | undefined, finiteOnly: boolean): Float64Array | undefined {
  if (!block || block.length < HEADER || block[0] !== FEATURE_BLOCK_FORMAT) return undefined;
  const d = block[1] | (block[2] << 8);
  const out = new Float64Array(d);
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  return unpackFeatures(block, dv, HEADER, block.length, d, out, 0, finiteOnly) === block.length ? out : undefined;
}
