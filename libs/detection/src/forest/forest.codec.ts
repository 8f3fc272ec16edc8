import { z } from 'zod';
import type { ForestData } from './isolation-forest';

/**
 * JSON form of a forest: shape fields plus each typed array as base64 of its little-endian bytes.
 * 100 trees of 256-row subsamples take ~25 k nodes × 20 bytes ≈ 500 KB raw, ~670 KB as base64.
 */
export const ForestJson = z.object({
  nTrees: z.number().int().positive(),
  nCols: z.number().int().positive(),
  subsampleSize: z.number().int().min(1),
  heightLimit: z.number().int().nonnegative(),
  /** base64 Int32 LE, one per tree. */
  roots: z.string(),
  /** base64 Int32 LE per node: split column, −1 for a leaf. */
  feature: z.string(),
  /** base64 Float64 LE per node: threshold, or a leaf's path length depth + c(size). */
  value: z.string(),
  /** base64 Int32 LE per node: left child (right = left + 1), −1 for a leaf. */
  left: z.string(),
  /** base64 Int32 LE per node: training subsample rows that reached the node. */
  size: z.string(),
});
export type ForestJson = z.infer<typeof ForestJson>;

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBase64(a: Int32Array | Float64Array): string {
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  if (LE) return bytes.toString('base64');
  const copy = Buffer.from(bytes);
  if (a instanceof Float64Array) copy.swap64();
  else copy.swap32();
  return copy.toString('base64');
}

function fromBase64<T extends Int32Array | Float64Array>(s: string, ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T | null {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) return null;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const b = Buffer.from(copy.buffer);
  if (!LE) {
    if (ctor.BYTES_PER_ELEMENT === 8) b.swap64();
    else b.swap32();
  }
  return new ctor(copy.buffer);
}

export function encodeForest(f: ForestData): ForestJson {
  return {
    nTrees: f.nTrees,
    nCols: f.nCols,
    subsampleSize: f.subsampleSize,
    heightLimit: f.heightLimit,
    roots: toBase64(f.roots),
    feature: toBase64(f.feature),
    value: toBase64(f.value),
    left: toBase64(f.left),
    size: toBase64(f.size),
  };
}

export type ForestDecodeResult = { ok: true; forest: ForestData } | { ok: false; code: 'MODEL.BAD_FOREST'; reason: string };

/**
 * Decodes and checks a stored forest: every index in range, every walk terminates within the
 * height limit (children always follow their parent), so a damaged or hostile model cannot
 * make the scorer read out of bounds or loop.
 */
export function decodeForest(raw: unknown): ForestDecodeResult {
  const p = ForestJson.safeParse(raw);
  if (!p.success) return { ok: false, code: 'MODEL.BAD_FOREST', reason: p.error.issues[0]?.message ?? 'invalid forest' };
  const j = p.data;
  const roots = fromBase64(j.roots, Int32Array);
  const feature = fromBase64(j.feature, Int32Array);
  const value = fromBase64(j.value, Float64Array);
  const left = fromBase64(j.left, Int32Array);
  const size = fromBase64(j.size, Int32Array);
  if (!roots || !feature || !value || !left || !size) return { ok: false, code: 'MODEL.BAD_FOREST', reason: 'array length not a multiple of its element size' };
  const n = feature.length;
  if (roots.length !== j.nTrees) return { ok: false, code: 'MODEL.BAD_FOREST', reason: 'roots length differs from nTrees' };
  if (value.length !== n || left.length !== n || size.length !== n) return { ok: false, code: 'MODEL.BAD_FOREST', reason: 'node arrays differ in length' };
  for (let t = 0; t < roots.length; t++) {
    if (roots[t] < 0 || roots[t] >= n) return { ok: false, code: 'MODEL.BAD_FOREST', reason: `root ${t} out of range` };
  }
  // Depth check: children must come after their parent and be in range; depth ≤ heightLimit.
  const depth = new Int32Array(n).fill(-1);
  for (let t = 0; t < roots.length; t++) depth[roots[t]] = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(value[i])) return { ok: false, code: 'MODEL.BAD_FOREST', reason: `node ${i} has a non-finite value` };
    if (feature[i] < 0) continue;
    if (feature[i] >= j.nCols) return { ok: false, code: 'MODEL.BAD_FOREST', reason: `node ${i} splits on column ${feature[i]} of ${j.nCols}` };
    const l = left[i];
    if (depth[i] < 0 || l <= i || l + 1 >= n) return { ok: false, code: 'MODEL.BAD_FOREST', reason: `node ${i} has bad children` };
    if (depth[i] + 1 > j.heightLimit) return { ok: false, code: 'MODEL.BAD_FOREST', reason: `node ${i} is deeper than the height limit` };
    depth[l] = depth[i] + 1;
    depth[l + 1] = depth[i] + 1;
  }
  return {
    ok: true,
    forest: { nTrees: j.nTrees, nCols: j.nCols, subsampleSize: j.subsampleSize, heightLimit: j.heightLimit, roots, feature, value, left, size },
  };
}
