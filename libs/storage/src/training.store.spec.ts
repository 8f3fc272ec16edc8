import { storeFlows } from './flows.store';
import { flow, migratedDatabase } from './test-fixtures';
import { loadTrainingWindow } from './training.store';

describe('training window of stored flows', () => {
  const db = migratedDatabase();
  beforeAll(async () => {
    // 200 flows, one per second (flow(i) starts at 1700000000 + i): sensor-a odd i, sensor-b even.
    await storeFlows(db.ds, Array.from({ length: 200 }, (_, i) => flow(i)));
  });

  it('reads the last window of packet time, ending at the newest flow, exactly as stored', async () => {
    const w = await loadTrainingWindow(db.ds, { windowS: 50, maxRows: 10000 });
    const newest = flow(199);
    expect(w.end).toBe(newest.end);
    expect(w.start).toBe(newest.end - 50);
    const expected = Array.from({ length: 200 }, (_, i) => flow(i)).filter((f) => f.start >= w.start);
    expect(w.total).toBe(expected.length);
    expect(w.invalid).toBe(0);
    expect(w.flows).toEqual(expected);
  });

  it('restricts to the given sensors and thins a large window deterministically', async () => {
    const a = await loadTrainingWindow(db.ds, { sensors: ['sensor-a'], windowS: 1e6, maxRows: 10000 });
    expect(a.total).toBe(100);
    expect(a.flows.every((f) => f.sensor === 'sensor-a')).toBe(true);
    const thin1 = await loadTrainingWindow(db.ds, { windowS: 1e6, maxRows: 50 });
    const thin2 = await loadTrainingWindow(db.ds, { windowS: 1e6, maxRows: 50 });
    expect(thin1.total).toBe(200);
    expect(thin1.flows.length).toBeGreaterThan(10);
    expect(thin1.flows.length).toBeLessThanOrEqual(50);
    expect(thin2.flows.map((f) => f.id)).toEqual(thin1.flows.map((f) => f.id));
  });

  it('leaves out and counts a stored row that is not a valid FlowV1', async () => {
    await storeFlows(db.ds, [flow(500, { id: 'bad-state', sensor: 'sensor-c' }), flow(501, { id: 'good', sensor: 'sensor-c' })]);
    await db.ds.query(`UPDATE flows SET state = 'sideways' WHERE id = 'bad-state'`);
    const w = await loadTrainingWindow(db.ds, { sensors: ['sensor-c'], windowS: 86400, maxRows: 10 });
    expect(w.total).toBe(2);
    expect(w.invalid).toBe(1);
    expect(w.flows.map((f) => f.id)).toEqual(['good']);
  });

  it('gives nothing for a sensor without flows', async () => {
    expect(await loadTrainingWindow(db.ds, { sensors: ['nobody'], windowS: 86400, maxRows: 10 })).toEqual({ flows: [], start: 0, end: 0, total: 0, invalid: 0 });
  });
});
