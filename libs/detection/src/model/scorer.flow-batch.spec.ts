import { join } from 'node:path';
import { decodeFlowBatch, encodeFlowBatches, type FlowBatchV1, type FlowV1 } from '@netsentry/contracts';
import { haveSharedPcaps, itIf, SHARED_PCAPS } from '@netsentry/testing';
import { flowsFromCapture } from './capture-flows';
import { trainModel } from './model';
import { Scorer } from './scorer';

/** Scoring from a decoded flow batch's columns gives exactly what scoring the FlowV1 records gives. */
describe('Scorer.scoreFlowBatch (columns of a flow batch)', () => {
  let flows: FlowV1[] = [];
  beforeAll(async () => {
    if (!haveSharedPcaps) return;
    flows = await flowsFromCapture(join(SHARED_PCAPS, 'stopddos/pkt.TCP.synflood.spoofed.pcap'), 'sb');
  });

  const batches = (fs: FlowV1[]): FlowBatchV1[] =>
    encodeFlowBatches(fs, 512).batches.map((b) => {
      const d = decodeFlowBatch(b);
      if (!d.ok) throw new Error(d.reason);
      return d.batch;
    });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('same matrix, scores, anomalies and explanations as scoreBatch on real flows', () => {
    expect(flows.length).toBeGreaterThan(10000);
    // Trained on a slice that makes some of the rest anomalous (every branch taken).
    const model = trainModel(flows.slice(0, 3000), { seed: 3, contamination: 0.02 });
    const scorer = new Scorer(model);
    const sample = flows.slice(3000, 9000);
    const bs = batches(sample);
    expect(bs.reduce((s, b) => s + b.count, 0)).toBe(sample.length);
    let at = 0;
    let anomalous = 0;
    for (const b of bs) {
      const part = sample.slice(at, at + b.count);
      at += b.count;
      expect(scorer.batchMatrix(b)).toEqual(scorer.toMatrix(part));
      const want = scorer.scoreBatch(part);
      const got = scorer.scoreFlowBatch(b);
      expect(Array.from(got.scores)).toEqual(want.map((r) => r.score));
      const wantAnomalies = want.flatMap((r, i) => (r.anomalous ? [{ index: i, flow: part[i], result: r }] : []));
      expect(got.anomalies).toEqual(wantAnomalies);
      anomalous += got.anomalies.length;
    }
    expect(anomalous).toBeGreaterThan(0);
  });

  itIf(haveSharedPcaps, 'needs ../shared/data/pcaps')('one Scorer scoring batches of different sizes in turn gives what a fresh Scorer gives for each (its matrix is reused)', () => {
    const model = trainModel(flows.slice(0, 3000), { seed: 3, contamination: 0.02 });
    const shared = new Scorer(model);
    const [big, , other] = batches(flows.slice(3000, 4536));
    const [small] = batches(flows.slice(5000, 5100));
    for (const b of [small, big, other, small, big]) {
      const got = shared.scoreFlowBatch(b);
      const want = new Scorer(model).scoreFlowBatch(b);
      expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      expect(got.anomalies).toEqual(want.anomalies);
    }
  });

  it('a feature the batch lacks takes the training median, as for a FlowV1 without it', () => {
    const base: FlowV1 = {
      id: 'x1', sensor: 's', proto: 17, srcIp: '10.0.0.1', srcPort: 5353, dstIp: '10.0.0.2', dstPort: 53, vlan: 0, vlanInner: 0,
      start: 1, end: 2, endReason: 'idle', state: 'two_way', service: 'dns', fwdPackets: 1, bwdPackets: 1, fwdBytes: 80, bwdBytes: 120,
      features: { a: 1, b: 2 },
    };
    const train = Array.from({ length: 64 }, (_, i) => ({ ...base, id: `t${i}`, dstPort: 50000 + i, features: { a: i, b: i % 7 } }));
    const model = trainModel(train, { seed: 1 });
    const scorer = new Scorer(model, { featureNames: 'any' });
    const only = [{ ...base, features: { b: 3 } }, { ...base, id: 'x2', proto: 6, service: 'weird', features: { b: 5 } }];
    const [b] = batches(only);
    expect(scorer.batchMatrix(b)).toEqual(scorer.toMatrix(only));
  });
});
