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
  // Unsigned counters of the Int32 block.
  const u = (x: number): number => ia[x] >>> 0;
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
  const subflows = u(p + I_SUBFLOWS);
  const sub = subflows > 0 ? subflows : 1;
  const iatSum = fa[o + F_IAT_SUM];
  const fIatSum = fa[f + D_IAT_SUM], bIatSum = fa[b + D_IAT_SUM];
  const actCnt = u(p + I_ACT_CNT), idlCnt = u(p + I_IDL_CNT);
  const pshF = u(pf + D_PSH), pshB = u(pb + D_PSH), urgF = u(pf + D_URG), urgB = u(pb + D_URG);
  const bStatesF = u(pf + D_B_STATES), bStatesB = u(pb + D_B_STATES);
  const noPayF = u(pf + D_NO_PAY);
  const wireF = fa[f + D_WIRE], wireB = fa[b + D_WIRE];
  return {
    'Protocol': proto,
    'Flow Duration': durUs,
    'Total Fwd Packet': nf,
    'Total Bwd packets': nb,
    'Total Length of Fwd Packet': payF,
    'Total Length of Bwd Packet': payB,
    'Fwd Packet Length Max': nf > 0 ? fa[f + D_PAY_MAX] : 0,
    'Fwd Packet Length Min': nf > 0 ? fa[f + D_PAY_MIN] : 0,
    'Fwd Packet Length Mean': mean(payF, nf),
    'Fwd Packet Length Std': stdOf(nf, payF, fa[f + D_PAY_SQ]),
    'Bwd Packet Length Max': nb > 0 ? fa[b + D_PAY_MAX] : 0,
    'Bwd Packet Length Min': nb > 0 ? fa[b + D_PAY_MIN] : 0,
    'Bwd Packet Length Mean': mean(payB, nb),
    'Bwd Packet Length Std': stdOf(nb, payB, fa[b + D_PAY_SQ]),
    'Flow Bytes/s': rate(sumAll, durS),
    'Flow Packets/s': rate(n, durS),
    'Flow IAT Mean': mean(iatSum, n - 1),
    'Flow IAT Std': stdOf(n - 1, iatSum, fa[o + F_IAT_SQ]),
    'Flow IAT Max': fa[o + F_IAT_MAX],
    'Flow IAT Min': fa[o + F_IAT_MIN],
    'Fwd IAT Total': fIatSum,
    'Fwd IAT Mean': mean(fIatSum, nf - 1),
    'Fwd IAT Std': stdOf(nf - 1, fIatSum, fa[f + D_IAT_SQ]),
    'Fwd IAT Max': fa[f + D_IAT_MAX],
    'Fwd IAT Min': fa[f + D_IAT_MIN],
    'Bwd IAT Total': bIatSum,
    'Bwd IAT Mean': mean(bIatSum, nb - 1),
    'Bwd IAT Std': stdOf(nb - 1, bIatSum, fa[b + D_IAT_SQ]),
    'Bwd IAT Max': fa[b + D_IAT_MAX],
    'Bwd IAT Min': fa[b + D_IAT_MIN],
    'Fwd PSH Flags': pshF,
    'Bwd PSH Flags': pshB,
    'Fwd URG Flags': urgF,
    'Bwd URG Flags': urgB,
    'Fwd Header Length': fa[f + D_HDR],
    'Bwd Header Length': fa[b + D_HDR],
    'Fwd Packets/s': rate(nf, durS),
    'Bwd Packets/s': rate(nb, durS),
    'Packet Length Min': lenMin,
    'Packet Length Max': lenMax,
    'Packet Length Mean': mean(sumAll, n),
    'Packet Length Std': stdOf(n, sumAll, sqAll),
    'Packet Length Variance': varOf(n, sumAll, sqAll),
    'FIN Flag Count': u(pf + D_FIN) + u(pb + D_FIN),
    'SYN Flag Count': u(pf + D_SYN) + u(pb + D_SYN),
    'RST Flag Count': u(pf + D_RST) + u(pb + D_RST),
    'PSH Flag Count': pshF + pshB,
    'ACK Flag Count': u(pf + D_ACK) + u(pb + D_ACK),
    'URG Flag Count': urgF + urgB,
    'CWR Flag Count': u(pf + D_CWR) + u(pb + D_CWR),
    'ECE Flag Count': u(pf + D_ECE) + u(pb + D_ECE),
    'Down/Up Ratio': nf > 0 ? nb / nf : 0,
    'Average Packet Size': mean(sumAll, n),
    'Fwd Segment Size Avg': mean(payF, nf),
    'Bwd Segment Size Avg': mean(payB, nb),
    'Fwd Bytes/Bulk Avg': mean(fa[f + D_B_BYTES], bStatesF),
    'Fwd Packet/Bulk Avg': mean(fa[f + D_B_PKTS], bStatesF),
    'Fwd Bulk Rate Avg': bulkRate(fa[f + D_B_BYTES], fa[f + D_B_DUR]),
    'Bwd Bytes/Bulk Avg': mean(fa[b + D_B_BYTES], bStatesB),
    'Bwd Packet/Bulk Avg': mean(fa[b + D_B_PKTS], bStatesB),
    'Bwd Bulk Rate Avg': bulkRate(fa[b + D_B_BYTES], fa[b + D_B_DUR]),
    'Subflow Fwd Packets': nf / sub,
    'Subflow Fwd Bytes': payF / sub,
    'Subflow Bwd Packets': nb / sub,
    'Subflow Bwd Bytes': payB / sub,
    'FWD Init Win Bytes': ia[pf + D_INIT_WIN],
    'Bwd Init Win Bytes': ia[pb + D_INIT_WIN],
    'Fwd Act Data Pkts': nf - noPayF,
    'Fwd Seg Size Min': nf > 0 ? fa[f + D_HDR_MIN] : 0,
    'Active Mean': mean(fa[o + F_ACT_SUM], actCnt),
    'Active Std': stdOf(actCnt, fa[o + F_ACT_SUM], fa[o + F_ACT_SQ]),
    'Active Max': fa[o + F_ACT_MAX],
    'Active Min': fa[o + F_ACT_MIN],
    'Idle Mean': mean(fa[o + F_IDL_SUM], idlCnt),
    'Idle Std': stdOf(idlCnt, fa[o + F_IDL_SUM], fa[o + F_IDL_SQ]),
    'Idle Max': fa[o + F_IDL_MAX],
    'Idle Min': fa[o + F_IDL_MIN],
    'Fwd Bytes': wireF,
    'Bwd Bytes': wireB,
    'Flow Wire Bytes/s': rate(wireF + wireB, durS),
    'SYN-ACK Flag Count': u(pf + D_SYN_ACK) + u(pb + D_SYN_ACK),
    'Fwd Init TTL': u(pf + D_TTL),
    'Bwd Init TTL': u(pb + D_TTL),
    'Fwd Payloadless Packets': noPayF,
    'Bwd Payloadless Packets': u(pb + D_NO_PAY),
    'Fwd Fragments': u(pf + D_FRAGS),
    'Bwd Fragments': u(pb + D_FRAGS),
    'Fragment Bucket': fragmentBucket ? 1 : 0,
  };
}
