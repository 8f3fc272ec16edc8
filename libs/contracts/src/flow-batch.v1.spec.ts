import { decodeFlowBatch, encodeFlowBatches, FlowBatchPool, flowsOfBatch, isFlowBatch, parseFlowsMessage, type FlowBatchV1 } from './flow-batch.v1';
import { packedFeaturesBytes, unpackFeatures } from './feature-pack';
import { FLOW_END_REASONS, FLOW_STATES, FlowV1 } from './flow.v1';

function flow(i: number, over: Partial<FlowV1> = {}): FlowV1 {
  const v6 = i % 3 === 0;
  return {
    id: `f${i.toString(16).padStart(15, '0')}`,
    sensor: 'sensor-a',
    proto: [6, 17, 1, 58, 132][i % 5],
    srcIp: v6 ? `2001:db8::${((i % 65534) + 1).toString(16)}` : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    srcPort: (i * 7919) % 65536,
    dstIp: v6 ? 'fe80::1:0:0:1' : '192.168.1.10',
    dstPort: i % 2 ? 443 : 65535,
    vlan: i % 4096,
    vlanInner: 4095 - (i % 4096),
    start: 1700000000 + i * 0.000001,
    end: 1700000001.123457 + i,
    endReason: FLOW_END_REASONS[i % FLOW_END_REASONS.length],
    state: FLOW_STATES[i % FLOW_STATES.length],
    service: ['http', 'dns', 'other', 'icmp', 'https'][i % 5],
    fwdPackets: i,
    bwdPackets: 2 ** 53 - 1 - i,
    fwdBytes: 60 * i,
    bwdBytes: 0,
    features: { duration: i / 7, 'bytes\\per\tpkt "q"': -1.5e-300 * i, 'ünï': Number.MAX_VALUE, '0': i, syn_count: 1 },
    ...over,
  };
}

describe('flow batch codec', () => {
  const flows = Array.from({ length: 1200 }, (_, i) => flow(i));

  it('round-trips flows exactly, and every decoded flow passes FlowV1', () => {
    for (const f of flows.slice(0, 20)) expect(FlowV1.safeParse(f).success).toBe(true);
    const { batches, rest } = encodeFlowBatches(flows, 500);
    expect(rest).toEqual([]);
    expect(batches.length).toBe(3);
    const back = batches.flatMap((b) => {
      expect(isFlowBatch(b)).toBe(true);
      const d = decodeFlowBatch(b);
      if (!d.ok) throw new Error(d.reason);
      return flowsOfBatch(d.batch);
    });
    expect(back).toEqual(flows);
    for (const f of back) expect(FlowV1.parse(f)).toEqual(f);
  });

  it('decodes into pooled memory: the same batches, arenas reused only after release, every column rewritten', () => {
    // Batches of different sizes and feature counts, so a reused arena holds another batch's bytes.
    const sets = [flows.slice(0, 500), flows.slice(500, 600).map((f) => ({ ...f, features: { only: f.fwdPackets * 0.5 } })), flows.slice(600, 1100)];
    const msgs = sets.flatMap((fs) => encodeFlowBatches(fs, 500).batches);
    const ok = (r: ReturnType<typeof decodeFlowBatch>): FlowBatchV1 => {
      if (!r.ok) throw new Error(r.reason);
      return r.batch;
    };
    const pool = new FlowBatchPool();
    const a = ok(decodeFlowBatch(msgs[0], pool));
    const b = ok(decodeFlowBatch(msgs[1], pool));
    // Not released: distinct memory, each still equal to a batch decoded without a pool.
    expect(a.features.buffer).not.toBe(b.features.buffer);
    expect(a).toEqual(ok(decodeFlowBatch(msgs[0])));
    expect(b).toEqual(ok(decodeFlowBatch(msgs[1])));
    const arenaA = a.features.buffer;
    pool.release(a);
    pool.release(a); // twice: ignored
    pool.release(ok(decodeFlowBatch(msgs[1]))); // not the pool's: ignored
    // The third batch (same size class as the first) takes the first's arena.
    const c = ok(decodeFlowBatch(msgs[2], pool));
    expect(c.features.buffer).toBe(arenaA);
    expect(flowsOfBatch(c)).toEqual(sets[2]);
    expect(flowsOfBatch(b)).toEqual(sets[1]);
    pool.release(c);
    pool.release(b);
    // Again in the other order: the arenas now hold the other batches' bytes.
    expect(flowsOfBatch(ok(decodeFlowBatch(msgs[1], pool)))).toEqual(sets[1]);
    expect(flowsOfBatch(ok(decodeFlowBatch(msgs[0], pool)))).toEqual(sets[0]);
  });

  it('a pool keeps at most maxBytes for reuse', () => {
    const msg = encodeFlowBatches(flows.slice(0, 500), 500).batches[0];
    const pool = new FlowBatchPool(1);
    const d = decodeFlowBatch(msg, pool);
    if (!d.ok) throw new Error(d.reason);
    pool.release(d.batch);
    const e = decodeFlowBatch(msg, pool);
    if (!e.ok) throw new Error(e.reason);
    expect(e.batch.features.buffer).not.toBe(d.batch.features.buffer);
  });

  it('sends what a batch cannot carry exactly back to the caller (as JSON)', () => {
    const odd = [flow(1, { id: 'with space' }), flow(2, { srcIp: '2001:DB8::1' }), flow(3, { dstIp: '::ffff:1.2.3.4' }), flow(4, { features: { other: 1 } })];
    const { batches, rest } = encodeFlowBatches([flow(0), ...odd, flow(5)]);
    expect(rest).toEqual(odd);
    expect(batches.length).toBe(1);
    const d = decodeFlowBatch(batches[0]);
    expect(d.ok && flowsOfBatch(d.batch)).toEqual([flow(0), flow(5)]);
  });

  it('reads either encoding of a flows-topic message', () => {
    const json = Buffer.from(JSON.stringify(flow(7)));
    expect(isFlowBatch(json)).toBe(false);
    expect(parseFlowsMessage(json)).toEqual({ ok: true, flows: [flow(7)] });
    expect(parseFlowsMessage(Buffer.from(' {"id":1}'))).toMatchObject({ ok: false, code: 'SCHEMA.INVALID' });
    const [b] = encodeFlowBatches([flow(8), flow(9)]).batches;
    expect(parseFlowsMessage(b)).toEqual({ ok: true, flows: [flow(8), flow(9)] });
  });

  it('refuses every truncation, and never throws on damaged bytes', () => {
    const [b] = encodeFlowBatches(flows.slice(0, 3)).batches;
    for (let len = 0; len < b.length; len++) {
      const r = decodeFlowBatch(b.subarray(0, len));
      expect(r.ok).toBe(false);
    }
    expect(decodeFlowBatch(Buffer.concat([b, Buffer.from([0])]))).toMatchObject({ ok: false, code: 'FLOWBATCH.INVALID' });
    // Every byte flipped to every value of a small set: either refused, or every flow still valid.
    let accepted = 0;
    for (let i = 0; i < b.length; i++) {
      for (const v of [0x00, 0x01, 0x7f, 0x80, 0xff, b[i] ^ 0x10]) {
        const c = Buffer.from(b);
        c[i] = v;
        const r = decodeFlowBatch(c);
        if (r.ok) {
          accepted++;
          for (const f of flowsOfBatch(r.batch)) expect(FlowV1.safeParse(f).success).toBe(true);
        }
      }
    }
    expect(accepted).toBeGreaterThan(0); // most bytes are values: damage there is not detectable
  });

  // Field → byte offset (in a one-flow batch) of a value to break; the value written is invalid.
  const one = encodeFlowBatches([flow(1)]).batches[0];
  const tail = (fromEnd: number): number => one.length - fromEnd;
  const d = Object.keys(flow(1).features).length;
  // flow(1)'s features packed: 2 bytes of classes, then '0' (an integer-like key comes first:
  // int16, 2 bytes), then duration (a float64).
  const featBytes = packedFeaturesBytes(Object.values(flow(1).features), 0, d);
  const featStart = tail(featBytes);
  const duration = featStart + Math.ceil(d / 4) + 2;
  const CASES: [string, number, number[]][] = [
    ['a bad magic', 0, [0x7b]],
    ['an unknown version', 4, [3]],
    ['unknown flags', 5, [1]],
    ['no flows', 8, [0]],
    ['a feature that is NaN', duration + 6, [0xf8, 0x7f]],
    ['a feature that is Infinity', duration, [0, 0, 0, 0, 0, 0, 0xf0, 0x7f]],
    ['feature classes that claim more bytes than the batch holds', featStart, [0xff]],
    ['a negative byte count (bwdBytes)', featStart - 8, [0, 0, 0, 0, 0, 0, 0xf0, 0xbf]],
    ['a fractional packet count (fwdPackets)', featStart - 32, [0, 0, 0, 0, 0, 0, 0xe0, 0x3f]],
    ['a count beyond 2^53 (bwdPackets)', featStart - 24, [0, 0, 0, 0, 0, 0, 0x40, 0x43]],
    ['a negative end time', featStart - 40, [0, 0, 0, 0, 0, 0, 0xf0, 0xbf]],
    ['a start time that is NaN', featStart - 48, [0, 0, 0, 0, 0, 0, 0xf8, 0x7f]],
    ['a service index past the list', featStart - 49, [200]],
    ['an unknown state', featStart - 50, [FLOW_STATES.length]],
    ['an unknown end reason', featStart - 51, [FLOW_END_REASONS.length]],
    ['an inner VLAN id above 4095', featStart - 52, [0x10]],
    ['a VLAN id above 4095', featStart - 54, [0x10]],
  ];
  it.each(CASES)('refuses %s', (_what, at, bytes) => {
    const c = Buffer.from(one);
    for (let k = 0; k < bytes.length; k++) c[at + k] = bytes[k];
    const r = decodeFlowBatch(c);
    expect(r.ok).toBe(false);
  });

  it('packs the features (version 2): a flood-like flow is a fifth of its version 1 size, and version 1 batches are still read', () => {
    const syn = (i: number): FlowV1 => flow(i, { features: Object.fromEntries(Array.from({ length: 88 }, (_, k) => [`f${k}`, k < 9 ? (k === 0 ? 40 : 1) : 0])) });
    const fs = Array.from({ length: 512 }, (_, i) => syn(3 * i + 1)); // IPv4 sources
    const [v2] = encodeFlowBatches(fs, 512).batches;
    expect(v2[4]).toBe(2);
    const dec = decodeFlowBatch(v2);
    expect(dec.ok && flowsOfBatch(dec.batch)).toEqual(fs);
    // The same batch in version 1: the features as n × d float64s.
    const packedBytes = fs.reduce((n, f) => n + packedFeaturesBytes(Object.values(f.features), 0, 88), 0);
    const head = v2.subarray(0, v2.length - packedBytes);
    const f64 = Buffer.alloc(fs.length * 88 * 8);
    fs.forEach((f, i) => Object.values(f.features).forEach((v, k) => f64.writeDoubleLE(v, (i * 88 + k) * 8)));
    const v1 = Buffer.concat([head, f64]);
    v1[4] = 1;
    const dec1 = decodeFlowBatch(v1);
    expect(dec1.ok && flowsOfBatch(dec1.batch)).toEqual(fs);
    expect(v2.length * 5).toBeLessThan(v1.length);
    // Version 1 has no packed section: a version 2 body labelled 1 is refused, and the reverse.
    const mislabelled = Buffer.from(v2);
    mislabelled[4] = 1;
    expect(decodeFlowBatch(mislabelled).ok).toBe(false);
    const relabelled = Buffer.from(v1);
    relabelled[4] = 2;
    expect(decodeFlowBatch(relabelled).ok).toBe(false);
    // A non-finite float32 in the packed section is refused (checked as it is unpacked).
    const f32 = encodeFlowBatches([flow(1, { features: { a: 0.5 } })]).batches[0];
    expect(f32[f32.length - 5]).toBe(0b10); // the class of 'a': float32
    const nan = Buffer.from(f32);
    nan.writeFloatLE(Number.NaN, nan.length - 4);
    expect(decodeFlowBatch(nan)).toMatchObject({ ok: false, code: 'FLOWBATCH.INVALID' });
    // Zeros in whole class bytes decode as zeros, over a pooled arena that held other values.
    const zeros = encodeFlowBatches([flow(1, { features: Object.fromEntries(Array.from({ length: 9 }, (_, k) => [`z${k}`, k === 8 ? 7 : 0])) })]).batches[0];
    const pool = new FlowBatchPool();
    const dirty = decodeFlowBatch(encodeFlowBatches([flow(1, { features: Object.fromEntries(Array.from({ length: 9 }, (_, k) => [`z${k}`, 1.5 + k])) })]).batches[0], pool);
    if (!dirty.ok) throw new Error(dirty.reason);
    pool.release(dirty.batch);
    const clean = decodeFlowBatch(zeros, pool);
    expect(clean.ok && Array.from(clean.batch.features)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 7]);
    expect(clean.ok && clean.batch.features.buffer).toBe(dirty.batch.features.buffer);
    // The packed bytes are kept beside the values (storage copies them): flow i's slice unpacks to its row.
    const kept = decodeFlowBatch(v2, pool);
    if (!kept.ok) throw new Error(kept.reason);
    const pk = kept.batch.packed!;
    expect(pk.off.length).toBe(513);
    const row = new Float64Array(88);
    const wrongRows = fs.filter((_, i) => {
      const end = unpackFeatures(pk.bytes, new DataView(pk.bytes.buffer, pk.bytes.byteOffset, pk.bytes.byteLength), pk.off[i], pk.off[i + 1], 88, row, 0);
      return end !== pk.off[i + 1] || row.some((v, k) => v !== kept.batch.features[i * 88 + k]);
    });
    expect(wrongRows).toEqual([]);
    expect(dec1.ok && dec1.batch.packed).toBeUndefined(); // version 1 has no packed bytes
    // -0 travels as -0 (version 1 kept it too).
    const z = decodeFlowBatch(encodeFlowBatches([flow(1, { features: { a: -0 } })]).batches[0]);
    expect(z.ok && Object.is(z.batch.features[0], -0)).toBe(true);
  });

  it('refuses an id byte outside printable ASCII, a bad sensor, a bad address family', () => {
    const enc = (f: FlowV1): Buffer => encodeFlowBatches([f]).batches[0];
    const b = enc(flow(1));
    const idAt = b.indexOf(Buffer.from(flow(1).id));
    const c = Buffer.from(b);
    c[idAt + 3] = 0x09;
    expect(decodeFlowBatch(c).ok).toBe(false);
    const s = Buffer.from(b);
    s[14] = 0x20; // first byte of the sensor
    expect(decodeFlowBatch(s).ok).toBe(false);
    const fam = Buffer.from(b);
    fam[idAt + flow(1).id.length + 1] = 5; // srcFamily after ids and proto
    expect(decodeFlowBatch(fam).ok).toBe(false);
  });

  it('the cases above each break only their field (the untouched batch decodes)', () => {
    expect(decodeFlowBatch(one).ok).toBe(true);
    expect(one.length).toBe(featStart + featBytes);
    expect(Object.keys(flow(1).features)[0]).toBe('0');
    expect(one.readDoubleLE(duration)).toBe(flow(1).features.duration);
  });
});
