/**
 * Packed feature values: each value in the fewest bytes that give it back exactly. Most of a
 * flow's feature values are zeros or small integers (a SYN-flood flow: 78 of 88 are zero, 10 are
 * integers under 2^15; ordinary traffic: a quarter zero, a third integers, a tenth exact in
 * float32), so 88 values take 40-50 bytes for a flood's flows and ~300 for ordinary ones, where
 * float64s take 704. Used by flow batches on the wire (flow-batch.v1.ts, version 2) and by the
 * stored `flows.features` (libs/storage feature-block.ts).
 *
 * Layout of d values:
 *   ceil(d/4) bytes   a 2-bit class per value, value c in bits 2·(c mod 4) of byte ⌊c/4⌋:
 *                     0 zero (+0, no bytes), 1 int16, 2 float32 (also -0), 3 float64
 *   then              the values of classes 1-3 in order, little-endian (2, 4 or 8 bytes)
 * Exact, bit for bit (-0, NaN and infinities included: callers that refuse them check the values).
 */

const ZERO = 0;
const INT16 = 1;
const FLOAT32 = 2;
const FLOAT64 = 3;
const SIZE = [0, 2, 4, 8];

/** The class of one value. */
function classOf(v: number): number {
  if (v === 0) return Object.is(v, -0) ? FLOAT32 : ZERO; // -0 kept (a bit test, where 1 / v was a division per zero)
  if ((v | 0) === v && v >= -32768 && v <= 32767) return INT16;
  if (Math.fround(v) === v) return FLOAT32;
  return FLOAT64;
}

/** Bytes `d` values take at most. */
export function packedFeaturesMaxBytes(d: number): number {
  return ((d + 3) >> 2) + 8 * d;
}

/** Bytes the packed `values[from .. from + d)` take. */
export function packedFeaturesBytes(values: ArrayLike<number>, from: number, d: number): number {
  let n = (d + 3) >> 2;
  for (let c = 0; c < d; c++) n += SIZE[classOf(values[from + c])];
  return n;
}

/**
 * Writes `values[from .. from + d)` packed at `out[p]` (room for packedFeaturesMaxBytes(d) is the
 * caller's); returns the position after them. `dv` views the same bytes as `out`.
 */
export function packFeatures(values: ArrayLike<number>, from: number, d: number, out: Uint8Array, dv: DataView, p: number): number {
  const nTags = (d + 3) >> 2;
  let q = p + nTags;
  for (let g = 0; g < nTags; g++) {
    const c0 = from + (g << 2);
    const c1 = from + Math.min(d, (g << 2) + 4);
    // Four +0s (most of a flood's flow): a class byte of 0 and no value bytes.
    if (c1 - c0 === 4 && values[c0] === 0 && values[c0 + 1] === 0 && values[c0 + 2] === 0 && values[c0 + 3] === 0 &&
      !Object.is(values[c0], -0) && !Object.is(values[c0 + 1], -0) && !Object.is(values[c0 + 2], -0) && !Object.is(values[c0 + 3], -0)) {
      out[p + g] = 0;
      continue;
    }
    let tag = 0;
    for (let c = c0; c < c1; c++) {
      const v = values[c];
      const k = classOf(v);
      if (k === INT16) {
        dv.setInt16(q, v, true);
        q += 2;
      } else if (k === FLOAT32) {
        dv.setFloat32(q, v, true);
        q += 4;
      } else if (k === FLOAT64) {
        dv.setFloat64(q, v, true);
        q += 8;
      }
      tag |= k << ((c - c0) << 1);
    }
    out[p + g] = tag;
  }
  return q;
}

/**
 * Reads d packed values at `src[p]` into `out[outOff ..]`; returns the position after them, -1
 * when they would run past `end` (nothing is read at or past `end`), and with `finiteOnly` -2 at
 * a float32 or float64 value that is not finite (zeros and int16s always are). `dv` views `src`'s bytes.
 */
export function unpackFeatures(src: Uint8Array, dv: DataView, p: number, end: number, d: number, out: Float64Array, outOff: number, finiteOnly = false): number {
  const nTags = (d + 3) >> 2;
  let q = p + nTags;
  if (q > end) return -1;
  for (let c = 0; c < d; c++) {
    const tag = src[p + (c >> 2)];
    // Four zeros in a row (a class byte of 0): most of a flood's flow.
    if (tag === 0 && (c & 3) === 0 && c + 4 <= d) {
      out[outOff + c] = 0;
      out[outOff + c + 1] = 0;
      out[outOff + c + 2] = 0;
      out[outOff + c + 3] = 0;
      c += 3;
      continue;
    }
    const k = (tag >> ((c & 3) << 1)) & 3;
    if (k === ZERO) out[outOff + c] = 0;
    else if (k === INT16) {
      if (q + 2 > end) return -1;
      out[outOff + c] = dv.getInt16(q, true);
      q += 2;
    } else if (k === FLOAT32) {
      if (q + 4 > end) return -1;
      const v = dv.getFloat32(q, true);
      if (finiteOnly && v - v !== 0) return -2;
      out[outOff + c] = v;
      q += 4;
    } else {
      if (q + 8 > end) return -1;
      const v = dv.getFloat64(q, true);
      if (finiteOnly && v - v !== 0) return -2;
      out[outOff + c] = v;
      q += 8;
    }
  }
  return q;
}
