import { z } from 'zod';
import { averagePathLength, heightLimitFor, type ForestData } from './isolation-forest';

/**
 * JSON form of a forest: shape fields plus each typed array as base64 of its little-endian bytes.
 * 100 trees of 256-row subsamples take ~25 k nodes × 20 bytes ≈ 500 KB raw, ~670 KB as base64.
 */
export const ForestJson = z.object({
  nTrees: z.number().int().positive(),
  nCols: z.number().int().positive(),
  /** Rows per tree, ≥ 2: c(1) = 0 would divide every path length by 0. ≤ 2^30 (Int32 sizes). */
  subsampleSize: z.number().int().min(2).max(2 ** 30),
  /** Must be ceil(log2 subsampleSize): every scoring walk takes exactly this many steps. */
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
 * Decodes and checks a stored forest, so that a damaged or hostile one cannot make the scorer
 * read out of bounds, loop, or score outside (0, 1]:
 * - the height limit is ceil(log2 subsampleSize), the number of steps of every walk;
 * - every index is in range, children come after their parent (no cycle);
 * - each tree is a tree: every node but a root is reached from exactly one parent (a node shared
 *   by two parents could sit deeper than the limit on one of its paths), roots from none;
 * - no split deeper than the height limit, so every walk reaches a leaf within it;
 * - leaf path lengths lie in [0, heightLimit + c(subsampleSize)].
 */
export function decodeForest(raw: unknown): ForestDecodeResult {
  const p = ForestJson.safeParse(raw);
  if (!p.success) {
    const i = p.error.issues[0];
    return bad(i ? `forest.${i.path.join('.')}: ${i.message}` : 'invalid forest');
  }
  const j = p.data;
  const H = heightLimitFor(j.subsampleSize);
  if (j.heightLimit !== H) return bad(`heightLimit ${j.heightLimit} is not ceil(log2(subsampleSize ${j.subsampleSize})) = ${H}`);
  const roots = fromBase64(j.roots, Int32Array);
  const feature = fromBase64(j.feature, Int32Array);
  const value = fromBase64(j.value, Float64Array);
  const left = fromBase64(j.left, Int32Array);
  const size = fromBase64(j.size, Int32Array);
  if (!roots || !feature || !value || !left || !size) return bad('array length not a multiple of its element size');
  const n = feature.length;
  if (roots.length !== j.nTrees) return bad('roots length differs from nTrees');
  if (value.length !== n || left.length !== n || size.length !== n) return bad('node arrays differ in length');
  const shape = checkTrees(roots, feature, value, left, j.nCols, H, H + averagePathLength(j.subsampleSize));
  if (shape) return bad(shape);
  return {
    ok: true,
    forest: { nTrees: j.nTrees, nCols: j.nCols, subsampleSize: j.subsampleSize, heightLimit: j.heightLimit, roots, feature, value, left, size },
  };
}

function bad(reason: string): ForestDecodeResult {
  return { ok: false, code: 'MODEL.BAD_FOREST', reason };
}

/** Why the node arrays are not a forest of trees no deeper than `height`, or null when they are. */
function checkTrees(roots: Int32Array, feature: Int32Array, value: Float64Array, left: Int32Array, nCols: number, height: number, maxLeaf: number): string | null {
  const n = feature.length;
  // depth[i] = −1 until a parent (or the root list) reaches node i; reached twice is an error.
  const depth = new Int32Array(n).fill(-1);
  for (let t = 0; t < roots.length; t++) {
    const r = roots[t];
    if (r < 0 || r >= n) return `root ${t} out of range`;
    if (depth[r] >= 0) return `root ${t} is node ${r}, the root of another tree`;
    depth[r] = 0;
  }
  // Children come after their parent, so depth[i] is final when node i is visited.
  for (let i = 0; i < n; i++) {
    if (depth[i] < 0) return `node ${i} is reached from no root`;
    if (!Number.isFinite(value[i])) return `node ${i} has a non-finite value`;
    if (feature[i] < 0) {
      if (value[i] < 0 || value[i] > maxLeaf + 1e-9) return `leaf ${i} has path length ${value[i]}, outside [0, ${maxLeaf}]`;
      continue;
    }
    if (feature[i] >= nCols) return `node ${i} splits on column ${feature[i]} of ${nCols}`;
    const l = left[i];
    if (l <= i || l + 1 >= n) return `node ${i} has bad children`;
    if (depth[l] >= 0 || depth[l + 1] >= 0) return `node ${i}'s children are reached from another parent too (not a tree)`;
    if (depth[i] + 1 > height) return `node ${i} is deeper than the height limit ${height}`;
    depth[l] = depth[i] + 1;
    depth[l + 1] = depth[i] + 1;
  }
  return null;
}
