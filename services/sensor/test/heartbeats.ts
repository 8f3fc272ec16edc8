import { parseJsonMessage, SensorHeartbeatV1 } from '@netsentry/contracts';
import { kindOf } from '@netsentry/messaging';
import { testKafka, uniqueName } from '@netsentry/testing';

/**
 * The heartbeats sensor `sensorId` published on `topic`, read from the beginning until its
 * `stopped` heartbeat arrives or `timeoutMs` passes (then whatever arrived).
 */
export async function readHeartbeats(topic: string, sensorId: string, timeoutMs = 15000): Promise<SensorHeartbeatV1[]> {
  const hbs: SensorHeartbeatV1[] = [];
  const hc = testKafka('sensor-hb-test').consumer({ groupId: uniqueName('sensor-hb'), maxWaitTimeInMs: 100 });
  await hc.connect();
  try {
    await hc.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((res) => {
      const t = setTimeout(res, timeoutMs);
      void hc.run({
        eachMessage: async ({ message }) => {
          if (kindOf(message.headers)) return;
          const h = parseJsonMessage(SensorHeartbeatV1, message.value);
          if (h.ok && h.value.sensor === sensorId) hbs.push(h.value);
          if (hbs.some((x) => x.status === 'stopped')) {
            clearTimeout(t);
            res();
          }
        },
      });
    });
  } finally {
    await hc.disconnect();
  }
  return hbs;
}
