/**
 * Per-flow numeric features, computed once when a flow record is exported (never per packet).
 * Names follow CICFlowMeter-V4 (FlowFeature.java) where the meaning matches; NetSentry's own
 * additions come last. Formulas: libs/flows/README.md. Every value is finite: rates of a
 * zero-duration flow are 0, statistics of an empty set are 0.
 */
import type { FlowStore } from './flow-store';
import { KEY_PROTO_VLAN, KEY_WORDS } from './flow-key';

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
const bulkRate = (st: FlowStore, i: number): number => (st.bDurUs[i] > 0 ? st.bBytes[i] / (st.bDurUs[i] / 1e6) : 0);

/** Features of slot `s` of the store (see FLOW_FEATURE_NAMES). */
export function computeFeatures(st: FlowStore, s: number, fragmentBucket: boolean): FlowFeatures {
  const f = 2 * s, b = f + 1;
  const nf = st.pkts[f], nb = st.pkts[b], n = nf + nb;
  const durUs = st.lastUs[s] - st.startUs[s];
  const durS = durUs / 1e6;
  const payF = st.pay[f], payB = st.pay[b];
  const sumAll = payF + payB, sqAll = st.paySq[f] + st.paySq[b];
  let lenMin = 0, lenMax = 0;
  if (nf > 0 && nb > 0) {
    lenMin = min(st.payMin[f], st.payMin[b]);
    lenMax = max(st.payMax[f], st.payMax[b]);
  } else if (nf > 0) { lenMin = st.payMin[f]; lenMax = st.payMax[f]; }
  else if (nb > 0) { lenMin = st.payMin[b]; lenMax = st.payMax[b]; }
  const sub = st.subflows[s] > 0 ? st.subflows[s] : 1;
  return {
    'Protocol': st.key[s * KEY_WORDS + KEY_PROTO_VLAN] & 0xff,
    'Flow Duration': durUs,
    'Total Fwd Packet': nf,
    'Total Bwd packets': nb,
    'Total Length of Fwd Packet': payF,
    'Total Length of Bwd Packet': payB,
    'Fwd Packet Length Max': nf > 0 ? st.payMax[f] : 0,
    'Fwd Packet Length Min': nf > 0 ? st.payMin[f] : 0,
    'Fwd Packet Length Mean': mean(payF, nf),
    'Fwd Packet Length Std': stdOf(nf, payF, st.paySq[f]),
    'Bwd Packet Length Max': nb > 0 ? st.payMax[b] : 0,
    'Bwd Packet Length Min': nb > 0 ? st.payMin[b] : 0,
    'Bwd Packet Length Mean': mean(payB, nb),
    'Bwd Packet Length Std': stdOf(nb, payB, st.paySq[b]),
    'Flow Bytes/s': rate(sumAll, durS),
    'Flow Packets/s': rate(n, durS),
    'Flow IAT Mean': mean(st.iatSum[s], n - 1),
    'Flow IAT Std': stdOf(n - 1, st.iatSum[s], st.iatSq[s]),
    'Flow IAT Max': st.iatMax[s],
    'Flow IAT Min': st.iatMin[s],
    'Fwd IAT Total': st.dIatSum[f],
    'Fwd IAT Mean': mean(st.dIatSum[f], nf - 1),
    'Fwd IAT Std': stdOf(nf - 1, st.dIatSum[f], st.dIatSq[f]),
    'Fwd IAT Max': st.dIatMax[f],
    'Fwd IAT Min': st.dIatMin[f],
    'Bwd IAT Total': st.dIatSum[b],
    'Bwd IAT Mean': mean(st.dIatSum[b], nb - 1),
    'Bwd IAT Std': stdOf(nb - 1, st.dIatSum[b], st.dIatSq[b]),
    'Bwd IAT Max': st.dIatMax[b],
    'Bwd IAT Min': st.dIatMin[b],
    'Fwd PSH Flags': st.psh[f],
    'Bwd PSH Flags': st.psh[b],
    'Fwd URG Flags': st.urg[f],
    'Bwd URG Flags': st.urg[b],
    'Fwd Header Length': st.hdr[f],
    'Bwd Header Length': st.hdr[b],
    'Fwd Packets/s': rate(nf, durS),
    'Bwd Packets/s': rate(nb, durS),
    'Packet Length Min': lenMin,
    'Packet Length Max': lenMax,
    'Packet Length Mean': mean(sumAll, n),
    'Packet Length Std': stdOf(n, sumAll, sqAll),
    'Packet Length Variance': varOf(n, sumAll, sqAll),
    'FIN Flag Count': st.fin[f] + st.fin[b],
    'SYN Flag Count': st.syn[f] + st.syn[b],
    'RST Flag Count': st.rst[f] + st.rst[b],
    'PSH Flag Count': st.psh[f] + st.psh[b],
    'ACK Flag Count': st.ack[f] + st.ack[b],
    'URG Flag Count': st.urg[f] + st.urg[b],
    'CWR Flag Count': st.cwr[f] + st.cwr[b],
    'ECE Flag Count': st.ece[f] + st.ece[b],
    'Down/Up Ratio': nf > 0 ? nb / nf : 0,
    'Average Packet Size': mean(sumAll, n),
    'Fwd Segment Size Avg': mean(payF, nf),
    'Bwd Segment Size Avg': mean(payB, nb),
    'Fwd Bytes/Bulk Avg': mean(st.bBytes[f], st.bStates[f]),
    'Fwd Packet/Bulk Avg': mean(st.bPkts[f], st.bStates[f]),
    'Fwd Bulk Rate Avg': bulkRate(st, f),
    'Bwd Bytes/Bulk Avg': mean(st.bBytes[b], st.bStates[b]),
    'Bwd Packet/Bulk Avg': mean(st.bPkts[b], st.bStates[b]),
    'Bwd Bulk Rate Avg': bulkRate(st, b),
    'Subflow Fwd Packets': nf / sub,
    'Subflow Fwd Bytes': payF / sub,
    'Subflow Bwd Packets': nb / sub,
    'Subflow Bwd Bytes': payB / sub,
    'FWD Init Win Bytes': st.initWin[f],
    'Bwd Init Win Bytes': st.initWin[b],
    'Fwd Act Data Pkts': nf - st.noPay[f],
    'Fwd Seg Size Min': nf > 0 ? st.hdrMin[f] : 0,
    'Active Mean': mean(st.actSum[s], st.actCnt[s]),
    'Active Std': stdOf(st.actCnt[s], st.actSum[s], st.actSq[s]),
    'Active Max': st.actMax[s],
    'Active Min': st.actMin[s],
    'Idle Mean': mean(st.idlSum[s], st.idlCnt[s]),
    'Idle Std': stdOf(st.idlCnt[s], st.idlSum[s], st.idlSq[s]),
    'Idle Max': st.idlMax[s],
    'Idle Min': st.idlMin[s],
    'Fwd Bytes': st.wire[f],
    'Bwd Bytes': st.wire[b],
    'Flow Wire Bytes/s': rate(st.wire[f] + st.wire[b], durS),
    'SYN-ACK Flag Count': st.synAck[f] + st.synAck[b],
    'Fwd Init TTL': st.ttl[f],
    'Bwd Init TTL': st.ttl[b],
    'Fwd Payloadless Packets': st.noPay[f],
    'Bwd Payloadless Packets': st.noPay[b],
    'Fwd Fragments': st.frags[f],
    'Bwd Fragments': st.frags[b],
    'Fragment Bucket': fragmentBucket ? 1 : 0,
  };
}
