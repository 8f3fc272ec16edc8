/**
 * Per-flow numeric features, computed once when a flow record is exported (never per packet).
 * Names follow CICFlowMeter-V4 (FlowFeature.java) where the meaning matches; NetSentry's own
 * additions come last. Formulas: libs/flows/README.md. Every value is finite: rates of a
 * zero-duration flow are 0, statistics of an empty set are 0.
 */
import { type FlowStore, SLOT } from './flow-store';

// Captured once: global lookups are slow inside jest's vm context (see flow-key.ts).
const sqrt = Math.sqrt, min = Math.min, max = Math.max;

/** The numeric features in FlowV1.features, in this stable order. */
export const FLOW_FEATURE_NAMES = [
  'Protocol',
  'Flow Duration',
  'Total Fwd Packet',
  'Total Bwd packets',
  'Total Length of Fwd Packet',
  'Total Length of Bwd Packet',
  'Fwd Packet Length Max',
  'Fwd Packet Length Min',
  'Fwd Packet Length Mean',
  'Fwd Packet Length Std',
  'Bwd Packet Length Max',
  'Bwd Packet Length Min',
  'Bwd Packet Length Mean',
  'Bwd Packet Length Std',
  'Flow Bytes/s',
  'Flow Packets/s',
  'Flow IAT Mean',
  'Flow IAT Std',
  'Flow IAT Max',
  'Flow IAT Min',
  'Fwd IAT Total',
  'Fwd IAT Mean',
  'Fwd IAT Std',
  'Fwd IAT Max',
  'Fwd IAT Min',
  'Bwd IAT Total',
  'Bwd IAT Mean',
  'Bwd IAT Std',
  'Bwd IAT Max',
  'Bwd IAT Min',
  'Fwd PSH Flags',
  'Bwd PSH Flags',
  'Fwd URG Flags',
  'Bwd URG Flags',
  'Fwd Header Length',
  'Bwd Header Length',
  'Fwd Packets/s',
  'Bwd Packets/s',
  'Packet Length Min',
  'Packet Length Max',
  'Packet Length Mean',
  'Packet Length Std',
  'Packet Length Variance',
  'FIN Flag Count',
  'SYN Flag Count',
  'RST Flag Count',
  'PSH Flag Count',
  'ACK Flag Count',
  'URG Flag Count',
  'CWR Flag Count',
  'ECE Flag Count',
  'Down/Up Ratio',
  'Average Packet Size',
  'Fwd Segment Size Avg',
  'Bwd Segment Size Avg',
  'Fwd Bytes/Bulk Avg',
  'Fwd Packet/Bulk Avg',
  'Fwd Bulk Rate Avg',
  'Bwd Bytes/Bulk Avg',
  'Bwd Packet/Bulk Avg',
  'Bwd Bulk Rate Avg',
  'Subflow Fwd Packets',
  'Subflow Fwd Bytes',
  'Subflow Bwd Packets',
  'Subflow Bwd Bytes',
  'FWD Init Win Bytes',
  'Bwd Init Win Bytes',
  'Fwd Act Data Pkts',
  'Fwd Seg Size Min',
  'Active Mean',
  'Active Std',
  'Active Max',
  'Active Min',
  'Idle Mean',
  'Idle Std',
  'Idle Max',
  'Idle Min',
  // ---- NetSentry additions ----
  'Fwd Bytes',
  'Bwd Bytes',
  'Flow Wire Bytes/s',
  'SYN-ACK Flag Count',
  'Fwd Init TTL',
  'Bwd Init TTL',
  'Fwd Payloadless Packets',
  'Bwd Payloadless Packets',
  'Fwd Fragments',
  'Bwd Fragments',
  'Fragment Bucket',
] as const;

export type FlowFeatureName = (typeof FLOW_FEATURE_NAMES)[number];
export type FlowFeatures = Record<FlowFeatureName, number>;

/** Number of features (FLOW_FEATURE_NAMES.length). */
export const FEATURE_COUNT = FLOW_FEATURE_NAMES.length;

/** Sample standard deviation (n - 1) from count, sum and sum of squares; 0 below 2 values. */
export function stdOf(n: number, sum: number, sq: number): number {
  if (n < 2) return 0;
  const v = (sq - (sum * sum) / n) / (n - 1);
  return v > 0 ? sqrt(v) : 0;
}

function varOf(n: number, sum: number, sq: number): number {
  if (n < 2) return 0;
  const v = (sq - (sum * sum) / n) / (n - 1);
  return v > 0 ? v : 0;
}

const mean = (sum: number, n: number): number => (n > 0 ? sum / n : 0);
/** Per-second rate over the flow's duration; 0 for a zero-duration flow (no division by zero). */
const rate = (x: number, durS: number): number => (durS > 0 ? x / durS : 0);
const bulkRate = (bytes: number, durUs: number): number => (durUs > 0 ? bytes / (durUs / 1e6) : 0);

// Field offsets, read once (export time only; the per-packet code uses literals).
const {
  fStride, fDir, fDirSize, iStride, iDir, iDirSize, startUs: F_START, lastUs: F_LAST, iatMin: F_IAT_MIN,
  iatMax: F_IAT_MAX, iatSum: F_IAT_SUM, iatSq: F_IAT_SQ, actMin: F_ACT_MIN, actMax: F_ACT_MAX, actSum: F_ACT_SUM,
  actSq: F_ACT_SQ, idlMin: F_IDL_MIN, idlMax: F_IDL_MAX, idlSum: F_IDL_SUM, idlSq: F_IDL_SQ, pkts: D_PKTS, wire: D_WIRE,
  pay: D_PAY, paySq: D_PAY_SQ, payMin: D_PAY_MIN, payMax: D_PAY_MAX, dIatMin: D_IAT_MIN, dIatMax: D_IAT_MAX,
  dIatSum: D_IAT_SUM, dIatSq: D_IAT_SQ, hdr: D_HDR, hdrMin: D_HDR_MIN, bPkts: D_B_PKTS, bBytes: D_B_BYTES,
  bDurUs: D_B_DUR, actCnt: I_ACT_CNT, idlCnt: I_IDL_CNT, subflows: I_SUBFLOWS, noPay: D_NO_PAY, initWin: D_INIT_WIN,
  ttl: D_TTL, fin: D_FIN, syn: D_SYN, synAck: D_SYN_ACK, rst: D_RST, psh: D_PSH, ack: D_ACK, urg: D_URG, ece: D_ECE,
  cwr: D_CWR, frags: D_FRAGS, bStates: D_B_STATES,
} = SLOT;

/**
 * Writes the features of slot `s` of the store into `out[0..FEATURE_COUNT)` in FLOW_FEATURE_NAMES
 * order; `proto` from the flow's key. Typed-array stores, not an object literal: TurboFan compiled
 * the former 88-field literal (with its 88 live locals) in 350-500 ms, more CPU than the flow
 * table's packets in a 1 M-packet run; this function and featureRecord compile in a few ms each.
 */
export function featureValues(st: FlowStore, s: number, proto: number, fragmentBucket: boolean, out: Float64Array): void {
  const fa = st.f, ia = st.i;
  const o = s * fStride, p = s * iStride;
  const f = o + fDir, b = f + fDirSize;
  const pf = p + iDir, pb = pf + iDirSize;
  const nf = fa[f + D_PKTS], nb = fa[b + D_PKTS], n = nf + nb;
  const durUs = fa[o + F_LAST] - fa[o + F_START];
  const durS = durUs / 1e6;
  const payF = fa[f + D_PAY], payB = fa[b + D_PAY];
  const sumAll = payF + payB, sqAll = fa[f + D_PAY_SQ] + fa[b + D_PAY_SQ];
  let lenMin = 0, lenMax = 0;
  if (nf > 0 && nb > 0) {
    lenMin = min(fa[f + D_PAY_MIN], fa[b + D_PAY_MIN]);
    lenMax = max(fa[f + D_PAY_MAX], fa[b + D_PAY_MAX]);
  } else if (nf > 0) { lenMin = fa[f + D_PAY_MIN]; lenMax = fa[f + D_PAY_MAX]; }
  else if (nb > 0) { lenMin = fa[b + D_PAY_MIN]; lenMax = fa[b + D_PAY_MAX]; }
  const subflows = ia[p + I_SUBFLOWS] >>> 0;
  const sub = subflows > 0 ? subflows : 1;
  const iatSum = fa[o + F_IAT_SUM];
  const fIatSum = fa[f + D_IAT_SUM], bIatSum = fa[b + D_IAT_SUM];
  const actCnt = ia[p + I_ACT_CNT] >>> 0, idlCnt = ia[p + I_IDL_CNT] >>> 0;
  const pshF = ia[pf + D_PSH] >>> 0, pshB = ia[pb + D_PSH] >>> 0, urgF = ia[pf + D_URG] >>> 0, urgB = ia[pb + D_URG] >>> 0;
  const bStatesF = ia[pf + D_B_STATES] >>> 0, bStatesB = ia[pb + D_B_STATES] >>> 0;
  const noPayF = ia[pf + D_NO_PAY] >>> 0;
  const wireF = fa[f + D_WIRE], wireB = fa[b + D_WIRE];
  out[0] = proto;
  out[1] = durUs;
  out[2] = nf;
  out[3] = nb;
  out[4] = payF;
  out[5] = payB;
  out[6] = nf > 0 ? fa[f + D_PAY_MAX] : 0;
  out[7] = nf > 0 ? fa[f + D_PAY_MIN] : 0;
  out[8] = mean(payF, nf);
  out[9] = stdOf(nf, payF, fa[f + D_PAY_SQ]);
  out[10] = nb > 0 ? fa[b + D_PAY_MAX] : 0;
  out[11] = nb > 0 ? fa[b + D_PAY_MIN] : 0;
  out[12] = mean(payB, nb);
  out[13] = stdOf(nb, payB, fa[b + D_PAY_SQ]);
  out[14] = rate(sumAll, durS);
  out[15] = rate(n, durS);
  out[16] = mean(iatSum, n - 1);
  out[17] = stdOf(n - 1, iatSum, fa[o + F_IAT_SQ]);
  out[18] = fa[o + F_IAT_MAX];
  out[19] = fa[o + F_IAT_MIN];
  out[20] = fIatSum;
  out[21] = mean(fIatSum, nf - 1);
  out[22] = stdOf(nf - 1, fIatSum, fa[f + D_IAT_SQ]);
  out[23] = fa[f + D_IAT_MAX];
  out[24] = fa[f + D_IAT_MIN];
  out[25] = bIatSum;
  out[26] = mean(bIatSum, nb - 1);
  out[27] = stdOf(nb - 1, bIatSum, fa[b + D_IAT_SQ]);
  out[28] = fa[b + D_IAT_MAX];
  out[29] = fa[b + D_IAT_MIN];
  out[30] = pshF;
  out[31] = pshB;
  out[32] = urgF;
  out[33] = urgB;
  out[34] = fa[f + D_HDR];
  out[35] = fa[b + D_HDR];
  out[36] = rate(nf, durS);
  out[37] = rate(nb, durS);
  out[38] = lenMin;
  out[39] = lenMax;
  out[40] = mean(sumAll, n);
  out[41] = stdOf(n, sumAll, sqAll);
  out[42] = varOf(n, sumAll, sqAll);
  out[43] = (ia[pf + D_FIN] >>> 0) + (ia[pb + D_FIN] >>> 0);
  out[44] = (ia[pf + D_SYN] >>> 0) + (ia[pb + D_SYN] >>> 0);
  out[45] = (ia[pf + D_RST] >>> 0) + (ia[pb + D_RST] >>> 0);
  out[46] = pshF + pshB;
  out[47] = (ia[pf + D_ACK] >>> 0) + (ia[pb + D_ACK] >>> 0);
  out[48] = urgF + urgB;
  out[49] = (ia[pf + D_CWR] >>> 0) + (ia[pb + D_CWR] >>> 0);
  out[50] = (ia[pf + D_ECE] >>> 0) + (ia[pb + D_ECE] >>> 0);
  out[51] = nf > 0 ? nb / nf : 0;
  out[52] = mean(sumAll, n);
  out[53] = mean(payF, nf);
  out[54] = mean(payB, nb);
  out[55] = mean(fa[f + D_B_BYTES], bStatesF);
  out[56] = mean(fa[f + D_B_PKTS], bStatesF);
  out[57] = bulkRate(fa[f + D_B_BYTES], fa[f + D_B_DUR]);
  out[58] = mean(fa[b + D_B_BYTES], bStatesB);
  out[59] = mean(fa[b + D_B_PKTS], bStatesB);
  out[60] = bulkRate(fa[b + D_B_BYTES], fa[b + D_B_DUR]);
  out[61] = nf / sub;
  out[62] = payF / sub;
  out[63] = nb / sub;
  out[64] = payB / sub;
  out[65] = ia[pf + D_INIT_WIN];
  out[66] = ia[pb + D_INIT_WIN];
  out[67] = nf - noPayF;
  out[68] = nf > 0 ? fa[f + D_HDR_MIN] : 0;
  out[69] = mean(fa[o + F_ACT_SUM], actCnt);
  out[70] = stdOf(actCnt, fa[o + F_ACT_SUM], fa[o + F_ACT_SQ]);
  out[71] = fa[o + F_ACT_MAX];
  out[72] = fa[o + F_ACT_MIN];
  out[73] = mean(fa[o + F_IDL_SUM], idlCnt);
  out[74] = stdOf(idlCnt, fa[o + F_IDL_SUM], fa[o + F_IDL_SQ]);
  out[75] = fa[o + F_IDL_MAX];
  out[76] = fa[o + F_IDL_MIN];
  out[77] = wireF;
  out[78] = wireB;
  out[79] = rate(wireF + wireB, durS);
  out[80] = (ia[pf + D_SYN_ACK] >>> 0) + (ia[pb + D_SYN_ACK] >>> 0);
  out[81] = ia[pf + D_TTL] >>> 0;
  out[82] = ia[pb + D_TTL] >>> 0;
  out[83] = noPayF;
  out[84] = ia[pb + D_NO_PAY] >>> 0;
  out[85] = ia[pf + D_FRAGS] >>> 0;
  out[86] = ia[pb + D_FRAGS] >>> 0;
  out[87] = fragmentBucket ? 1 : 0;
}

/**
 * The shape each record is cloned from: keys in FLOW_FEATURE_NAMES order, every value null, so
 * V8 gives the fields the tagged representation. Integer-valued features (most counts) are then
 * stored as small integers and only fractional ones as heap numbers; a template of doubles made
 * every clone allocate 88 number boxes first (0.55-0.70 vs 0.35-0.37 µs per record here).
 */
const TEMPLATE = Object.fromEntries(FLOW_FEATURE_NAMES.map((n) => [n, null])) as unknown as FlowFeatures;

/**
 * The FlowV1 features record of values written by featureValues: a clone of TEMPLATE (one map,
 * fast properties, keys in order) and one named store per feature. An 88-field object literal
 * took TurboFan 350-500 ms to compile, more CPU than the flow table's packets in a 1 M-packet
 * run; a loop of keyed stores compiles fast but cost ~2 µs more per record.
 */
export function featureRecord(v: Float64Array): FlowFeatures {
  const r = { ...TEMPLATE };
  r['Protocol'] = v[0];
  r['Flow Duration'] = v[1];
  r['Total Fwd Packet'] = v[2];
  r['Total Bwd packets'] = v[3];
  r['Total Length of Fwd Packet'] = v[4];
  r['Total Length of Bwd Packet'] = v[5];
  r['Fwd Packet Length Max'] = v[6];
  r['Fwd Packet Length Min'] = v[7];
  r['Fwd Packet Length Mean'] = v[8];
  r['Fwd Packet Length Std'] = v[9];
  r['Bwd Packet Length Max'] = v[10];
  r['Bwd Packet Length Min'] = v[11];
  r['Bwd Packet Length Mean'] = v[12];
  r['Bwd Packet Length Std'] = v[13];
  r['Flow Bytes/s'] = v[14];
  r['Flow Packets/s'] = v[15];
  r['Flow IAT Mean'] = v[16];
  r['Flow IAT Std'] = v[17];
  r['Flow IAT Max'] = v[18];
  r['Flow IAT Min'] = v[19];
  r['Fwd IAT Total'] = v[20];
  r['Fwd IAT Mean'] = v[21];
  r['Fwd IAT Std'] = v[22];
  r['Fwd IAT Max'] = v[23];
  r['Fwd IAT Min'] = v[24];
  r['Bwd IAT Total'] = v[25];
  r['Bwd IAT Mean'] = v[26];
  r['Bwd IAT Std'] = v[27];
  r['Bwd IAT Max'] = v[28];
  r['Bwd IAT Min'] = v[29];
  r['Fwd PSH Flags'] = v[30];
  r['Bwd PSH Flags'] = v[31];
  r['Fwd URG Flags'] = v[32];
  r['Bwd URG Flags'] = v[33];
  r['Fwd Header Length'] = v[34];
  r['Bwd Header Length'] = v[35];
  r['Fwd Packets/s'] = v[36];
  r['Bwd Packets/s'] = v[37];
  r['Packet Length Min'] = v[38];
  r['Packet Length Max'] = v[39];
  r['Packet Length Mean'] = v[40];
  r['Packet Length Std'] = v[41];
  r['Packet Length Variance'] = v[42];
  r['FIN Flag Count'] = v[43];
  r['SYN Flag Count'] = v[44];
  r['RST Flag Count'] = v[45];
  r['PSH Flag Count'] = v[46];
  r['ACK Flag Count'] = v[47];
  r['URG Flag Count'] = v[48];
  r['CWR Flag Count'] = v[49];
  r['ECE Flag Count'] = v[50];
  r['Down/Up Ratio'] = v[51];
  r['Average Packet Size'] = v[52];
  r['Fwd Segment Size Avg'] = v[53];
  r['Bwd Segment Size Avg'] = v[54];
  r['Fwd Bytes/Bulk Avg'] = v[55];
  r['Fwd Packet/Bulk Avg'] = v[56];
  r['Fwd Bulk Rate Avg'] = v[57];
  r['Bwd Bytes/Bulk Avg'] = v[58];
  r['Bwd Packet/Bulk Avg'] = v[59];
  r['Bwd Bulk Rate Avg'] = v[60];
  r['Subflow Fwd Packets'] = v[61];
  r['Subflow Fwd Bytes'] = v[62];
  r['Subflow Bwd Packets'] = v[63];
  r['Subflow Bwd Bytes'] = v[64];
  r['FWD Init Win Bytes'] = v[65];
  r['Bwd Init Win Bytes'] = v[66];
  r['Fwd Act Data Pkts'] = v[67];
  r['Fwd Seg Size Min'] = v[68];
  r['Active Mean'] = v[69];
  r['Active Std'] = v[70];
  r['Active Max'] = v[71];
  r['Active Min'] = v[72];
  r['Idle Mean'] = v[73];
  r['Idle Std'] = v[74];
  r['Idle Max'] = v[75];
  r['Idle Min'] = v[76];
  r['Fwd Bytes'] = v[77];
  r['Bwd Bytes'] = v[78];
  r['Flow Wire Bytes/s'] = v[79];
  r['SYN-ACK Flag Count'] = v[80];
  r['Fwd Init TTL'] = v[81];
  r['Bwd Init TTL'] = v[82];
  r['Fwd Payloadless Packets'] = v[83];
  r['Bwd Payloadless Packets'] = v[84];
  r['Fwd Fragments'] = v[85];
  r['Bwd Fragments'] = v[86];
  r['Fragment Bucket'] = v[87];
  return r;
}
