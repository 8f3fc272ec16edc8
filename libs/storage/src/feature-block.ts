/**
 * The stored form of a flow's feature values (`flows.features`, bytea): packed, lossless.
 *
 * Most values of a flow's features are zeros or small integers (a SYN-flood flow: 78 of 88 are
 * zero, 10 are integers under 2^15; ordinary traffic: a quarter zero, a third integers, a tenth
 * exact in float32), so each value is stored in the fewest bytes that give it back exactly:
 *
 *   byte 0        format (1)
 *   bytes 1-2     d, the number of values (uint16, little-endian)
 *   ceil(d/4)     a 2-bit class per value, value c in bits 2·(c mod 4) of byte ⌊c/4⌋:
 *                 0 zero (no bytes), 1 int16, 2 float32 (also -0), 3 float64
 *   then          the values of classes 1-3 in order, little-endian (2, 4 or 8 bytes)
 *
 * 88 values take 40-50 bytes for a flood's flows and ~300 for ordinary ones, where plain float64s
 * took 704: PostgreSQL writes (heap and WAL) a third of the bytes per stored flood flow
 * (docs/bench/pipeline.md).
 */

/** Format byte of a packed block. */
export const FEATURE_BLOCK_FORMAT = 1;
const HEADER = 3;

const ZERO = 0;
const INT16 = 1;
const FLOAT32 = 2;
const FLOAT64 = 3;
const SIZE = [0, 2, 4, 8];

/** Bytes a block of `d` values takes at most. */
export function featureBlockMaxBytes(d: number): number {
  return HEADER + ((d + 3) >> 2) + 8 * d;
}

/** The class of one value (non-finite values are float64: readers refuse them). */
function classOf(v: number): number {
  if (v === 0) return 1 / v > 0 ? ZERO : FLOAT32; // -0 kept, for a bit-exact way back
  if ((v | 0) === v && v >= -32768 && v <= 32767) return INT16;
  if (Math.fround(v) === v) return FLOAT32;
  return FLOAT64;
}

/**
 * Writes the block of `values[from .. from + d)` at `out[p]` (room for featureBlockMaxBytes(d)
 * is the caller's); returns the position after it. `dv` views `out`'s bytes.
 */
export function writeFeatureBlock(values: ArrayLike<number>, from: number, d: number, out: Uint8Array, dv: DataView, p: number): number {
  out[p] = FEATURE_BLOCK_FORMAT;
  out[p + 1] = d & 0xff;
  out[p + 2] = d >> 8;
  const tags = p + HEADER;
  const nTags = (d + 3) >> 2;
  let q = tags + nTags;
  let tag = 0;
  for (let c = 0; c < d; c++) {
    const v = values[from + c];
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
    tag |= k << ((c & 3) << 1);
    if ((c & 3) === 3) {
      out[tags + (c >> 2)] = tag;
      tag = 0;
    }
  }
  if (d & 3) out[tags + (d >> 2)] = tag;
  return q;
}

/** The block of `values` as a Buffer of its own. */
export function featureBlock(values: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(featureBlockMaxBytes(values.length));
  const end = writeFeatureBlock(values, 0, values.length, out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0);
  return out.subarray(0, end);
}

/**
 * The values of a block, or undefined when it is not one: another format, truncated, bytes left
 * over, or a non-finite value (the writers store none; a float64 NaN marks a NULL element of a row
 * written before the packed form). Never reads outside `block`.
 */
export function readFeatureBlock(block: Uint8Array | null | undefined): Float64Array | undefined {
  return unpack(block, true);
}

/** readFeatureBlock keeping non-finite values and -0 (the migrations convert them as they are). */
export function readFeatureBlockRaw(block: Uint8Array | null | undefined): Float64Array | undefined {
  return unpack(block, false);
}

function unpack(block: Uint8Array | null | undefined, finiteOnly: boolean): Float64Array | undefined {
  if (!block || block.length < HEADER || block[0] !== FEATURE_BLOCK_FORMAT) return undefined;
  const d = block[1] | (block[2] << 8);
  const nTags = (d + 3) >> 2;
  let q = HEADER + nTags;
  if (q > block.length) return undefined;
  // Sizes first: the block must hold exactly the values its classes say.
  let need = q;
  for (let c = 0; c < d; c++) need += SIZE[(block[HEADER + (c >> 2)] >> ((c & 3) << 1)) & 3];
  if (need !== block.length) return undefined;
  const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const out = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    const k = (block[HEADER + (c >> 2)] >> ((c & 3) << 1)) & 3;
    let v = 0;
    if (k === INT16) {
      v = dv.getInt16(q, true);
      q += 2;
    } else if (k === FLOAT32) {
      v = dv.getFloat32(q, true);
      q += 4;
    } else if (k === FLOAT64) {
      v = dv.getFloat64(q, true);
      q += 8;
    }
    if (finiteOnly) {
      if (v - v !== 0) return undefined;
      out[c] = v + 0; // -0 reads as 0
    } else out[c] = v;
  }
  return out;
}
