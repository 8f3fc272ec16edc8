import { SensorHeartbeatV1 } from './sensor.v1';

const valid: SensorHeartbeatV1 = {
  sensor: 'edge-01.lab',
  sentAt: 1763900000.5,
  status: 'capturing',
  source: 'eth0',
  counters: { packetsSeen: 120000, kernelDropped: 3, malformed: 1, published: 119996, publishErrors: 0, bufferDropped: 0 },
  watermark: 1763899999.75,
};

type Bad = [string, (a: Record<string, unknown>) => void, string];
const BAD: Bad[] = [
  ['an unknown status', (a) => (a.status = 'running'), 'status'],
  ['a negative counter', (a) => ((a.counters as Record<string, number>).kernelDropped = -1), 'counters.kernelDropped'],
  ['a missing counter', (a) => delete (a.counters as Record<string, number>).published, 'counters.published'],
  ['a sensor id with a slash', (a) => (a.sensor = 'edge/01'), 'sensor'],
  ['an empty sensor id', (a) => (a.sensor = ''), 'sensor'],
  ['a negative watermark', (a) => (a.watermark = -5), 'watermark'],
  ['a sentAt as a string', (a) => (a.sentAt = '1763900000'), 'sentAt'],
];

describe('SensorHeartbeatV1', () => {
  it('accepts a valid heartbeat unchanged, with and without optional fields', () => {
    expect(SensorHeartbeatV1.parse(valid)).toEqual(valid);
    const { watermark: _w, ...noWatermark } = valid;
    expect(SensorHeartbeatV1.safeParse({ ...noWatermark, status: 'degraded', message: 'kernel drops' }).success).toBe(true);
  });

  it.each(BAD)('rejects %s', (_name, mutate, path) => {
    const bad = structuredClone(valid) as unknown as Record<string, unknown>;
    mutate(bad);
    const r = SensorHeartbeatV1.safeParse(bad);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
