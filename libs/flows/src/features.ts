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

/** Features of slot `s` of the store (see FLOW_FEATURE_NAMES); `proto` from the flow's key. */
export function computeFeatures(st: FlowStore, s: number, proto: number, fragmentBucket: boolean): FlowFeatures {
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
  // Every value first, then the object from plain locals: with branches between its stores, the
  // 88-field literal made TurboFan's escape analysis take longer than the whole capture's packets.
  const v0 = proto;
  const v1 = durUs;
  const v2 = nf;
  const v3 = nb;
  const v4 = payF;
  const v5 = payB;
  const v6 = nf > 0 ? fa[f + D_PAY_MAX] : 0;
  const v7 = nf > 0 ? fa[f + D_PAY_MIN] : 0;
  const v8 = mean(payF, nf);
  const v9 = stdOf(nf, payF, fa[f + D_PAY_SQ]);
  const v10 = nb > 0 ? fa[b + D_PAY_MAX] : 0;
  const v11 = nb > 0 ? fa[b + D_PAY_MIN] : 0;
  const v12 = mean(payB, nb);
  const v13 = stdOf(nb, payB, fa[b + D_PAY_SQ]);
  const v14 = rate(sumAll, durS);
  const v15 = rate(n, durS);
  const v16 = mean(iatSum, n - 1);
  const v17 = stdOf(n - 1, iatSum, fa[o + F_IAT_SQ]);
  const v18 = fa[o + F_IAT_MAX];
  const v19 = fa[o + F_IAT_MIN];
  const v20 = fIatSum;
  const v21 = mean(fIatSum, nf - 1);
  const v22 = stdOf(nf - 1, fIatSum, fa[f + D_IAT_SQ]);
  const v23 = fa[f + D_IAT_MAX];
  const v24 = fa[f + D_IAT_MIN];
  const v25 = bIatSum;
  const v26 = mean(bIatSum, nb - 1);
  const v27 = stdOf(nb - 1, bIatSum, fa[b + D_IAT_SQ]);
  const v28 = fa[b + D_IAT_MAX];
  const v29 = fa[b + D_IAT_MIN];
  const v30 = pshF;
  const v31 = pshB;
  const v32 = urgF;
  const v33 = urgB;
  const v34 = fa[f + D_HDR];
  const v35 = fa[b + D_HDR];
  const v36 = rate(nf, durS);
  const v37 = rate(nb, durS);
  const v38 = lenMin;
  const v39 = lenMax;
  const v40 = mean(sumAll, n);
  const v41 = stdOf(n, sumAll, sqAll);
  const v42 = varOf(n, sumAll, sqAll);
  const v43 = (ia[pf + D_FIN] >>> 0) + (ia[pb + D_FIN] >>> 0);
  const v44 = (ia[pf + D_SYN] >>> 0) + (ia[pb + D_SYN] >>> 0);
  const v45 = (ia[pf + D_RST] >>> 0) + (ia[pb + D_RST] >>> 0);
  const v46 = pshF + pshB;
  const v47 = (ia[pf + D_ACK] >>> 0) + (ia[pb + D_ACK] >>> 0);
  const v48 = urgF + urgB;
  const v49 = (ia[pf + D_CWR] >>> 0) + (ia[pb + D_CWR] >>> 0);
  const v50 = (ia[pf + D_ECE] >>> 0) + (ia[pb + D_ECE] >>> 0);
  const v51 = nf > 0 ? nb / nf : 0;
  const v52 = mean(sumAll, n);
  const v53 = mean(payF, nf);
  const v54 = mean(payB, nb);
  const v55 = mean(fa[f + D_B_BYTES], bStatesF);
  const v56 = mean(fa[f + D_B_PKTS], bStatesF);
  const v57 = bulkRate(fa[f + D_B_BYTES], fa[f + D_B_DUR]);
  const v58 = mean(fa[b + D_B_BYTES], bStatesB);
  const v59 = mean(fa[b + D_B_PKTS], bStatesB);
  const v60 = bulkRate(fa[b + D_B_BYTES], fa[b + D_B_DUR]);
  const v61 = nf / sub;
  const v62 = payF / sub;
  const v63 = nb / sub;
  const v64 = payB / sub;
  const v65 = ia[pf + D_INIT_WIN];
  const v66 = ia[pb + D_INIT_WIN];
  const v67 = nf - noPayF;
  const v68 = nf > 0 ? fa[f + D_HDR_MIN] : 0;
  const v69 = mean(fa[o + F_ACT_SUM], actCnt);
  const v70 = stdOf(actCnt, fa[o + F_ACT_SUM], fa[o + F_ACT_SQ]);
  const v71 = fa[o + F_ACT_MAX];
  const v72 = fa[o + F_ACT_MIN];
  const v73 = mean(fa[o + F_IDL_SUM], idlCnt);
  const v74 = stdOf(idlCnt, fa[o + F_IDL_SUM], fa[o + F_IDL_SQ]);
  const v75 = fa[o + F_IDL_MAX];
  const v76 = fa[o + F_IDL_MIN];
  const v77 = wireF;
  const v78 = wireB;
  const v79 = rate(wireF + wireB, durS);
  const v80 = (ia[pf + D_SYN_ACK] >>> 0) + (ia[pb + D_SYN_ACK] >>> 0);
  const v81 = ia[pf + D_TTL] >>> 0;
  const v82 = ia[pb + D_TTL] >>> 0;
  const v83 = noPayF;
  const v84 = ia[pb + D_NO_PAY] >>> 0;
  const v85 = ia[pf + D_FRAGS] >>> 0;
  const v86 = ia[pb + D_FRAGS] >>> 0;
  const v87 = fragmentBucket ? 1 : 0;
  return {
    'Protocol': v0,
    'Flow Duration': v1,
    'Total Fwd Packet': v2,
    'Total Bwd packets': v3,
    'Total Length of Fwd Packet': v4,
    'Total Length of Bwd Packet': v5,
    'Fwd Packet Length Max': v6,
    'Fwd Packet Length Min': v7,
    'Fwd Packet Length Mean': v8,
    'Fwd Packet Length Std': v9,
    'Bwd Packet Length Max': v10,
    'Bwd Packet Length Min': v11,
    'Bwd Packet Length Mean': v12,
    'Bwd Packet Length Std': v13,
    'Flow Bytes/s': v14,
    'Flow Packets/s': v15,
    'Flow IAT Mean': v16,
    'Flow IAT Std': v17,
    'Flow IAT Max': v18,
    'Flow IAT Min': v19,
    'Fwd IAT Total': v20,
    'Fwd IAT Mean': v21,
    'Fwd IAT Std': v22,
    'Fwd IAT Max': v23,
    'Fwd IAT Min': v24,
    'Bwd IAT Total': v25,
    'Bwd IAT Mean': v26,
    'Bwd IAT Std': v27,
    'Bwd IAT Max': v28,
    'Bwd IAT Min': v29,
    'Fwd PSH Flags': v30,
    'Bwd PSH Flags': v31,
    'Fwd URG Flags': v32,
    'Bwd URG Flags': v33,
    'Fwd Header Length': v34,
    'Bwd Header Length': v35,
    'Fwd Packets/s': v36,
    'Bwd Packets/s': v37,
    'Packet Length Min': v38,
    'Packet Length Max': v39,
    'Packet Length Mean': v40,
    'Packet Length Std': v41,
    'Packet Length Variance': v42,
    'FIN Flag Count': v43,
    'SYN Flag Count': v44,
    'RST Flag Count': v45,
    'PSH Flag Count': v46,
    'ACK Flag Count': v47,
    'URG Flag Count': v48,
    'CWR Flag Count': v49,
    'ECE Flag Count': v50,
    'Down/Up Ratio': v51,
    'Average Packet Size': v52,
    'Fwd Segment Size Avg': v53,
    'Bwd Segment Size Avg': v54,
    'Fwd Bytes/Bulk Avg': v55,
    'Fwd Packet/Bulk Avg': v56,
    'Fwd Bulk Rate Avg': v57,
    'Bwd Bytes/Bulk Avg': v58,
    'Bwd Packet/Bulk Avg': v59,
    'Bwd Bulk Rate Avg': v60,
    'Subflow Fwd Packets': v61,
    'Subflow Fwd Bytes': v62,
    'Subflow Bwd Packets': v63,
    'Subflow Bwd Bytes': v64,
    'FWD Init Win Bytes': v65,
    'Bwd Init Win Bytes': v66,
    'Fwd Act Data Pkts': v67,
    'Fwd Seg Size Min': v68,
    'Active Mean': v69,
    'Active Std': v70,
    'Active Max': v71,
    'Active Min': v72,
    'Idle Mean': v73,
    'Idle Std': v74,
    'Idle Max': v75,
    'Idle Min': v76,
    'Fwd Bytes': v77,
    'Bwd Bytes': v78,
    'Flow Wire Bytes/s': v79,
    'SYN-ACK Flag Count': v80,
    'Fwd Init TTL': v81,
    'Bwd Init TTL': v82,
    'Fwd Payloadless Packets': v83,
    'Bwd Payloadless Packets': v84,
    'Fwd Fragments': v85,
    'Bwd Fragments': v86,
    'Fragment Bucket': v87,
  };
}
