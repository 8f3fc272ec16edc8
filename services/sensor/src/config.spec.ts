import { BATCH_HEADER, ROW_BYTES } from '@netsentry/packets';
import { MAX_REQUEST_BYTES } from '@netsentry/messaging';
import { MAX_BATCH_PACKETS, readSensorConfig } from './config';

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };
const argv = ['node', 'main', '--replay', 'x.pcap', '--sensor-id', 's1'];

describe('sensor configuration: batch size', () => {
  it('keeps the largest batch within one broker message', () => {
    expect(BATCH_HEADER + MAX_BATCH_PACKETS * ROW_BYTES).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(BATCH_HEADER + (MAX_BATCH_PACKETS + 1) * ROW_BYTES).toBeGreaterThan(MAX_REQUEST_BYTES);
  });

  it('accepts the largest batch and refuses one packet more, naming the setting', () => {
    const ok = readSensorConfig(argv, { ...base, SENSOR_BATCH_PACKETS: String(MAX_BATCH_PACKETS) });
    expect(ok.ok && ok.config.batchPackets).toBe(MAX_BATCH_PACKETS);
    // 65 536 packets made a ~2 MB message the broker refused on every retry: nothing after it left.
    for (const n of [MAX_BATCH_PACKETS + 1, 65536]) {
      const bad = readSensorConfig(argv, { ...base, SENSOR_BATCH_PACKETS: String(n) });
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.message).toMatch(/batchPackets|SENSOR_BATCH_PACKETS/);
    }
  });
});
