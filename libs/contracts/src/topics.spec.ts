import { ALL_TOPICS, Topics } from './topics';

describe('Topics', () => {
  it('names every topic of the system, dot-separated and versioned', () => {
    expect(Topics).toEqual({
      packets: 'netsentry.packets.v1',
      flows: 'netsentry.flows.v1',
      alerts: 'netsentry.alerts.v1',
      anomalies: 'netsentry.anomalies.v1',
      sensors: 'netsentry.sensors.v1',
      stats: 'netsentry.stats.v1',
      deadletter: 'netsentry.deadletter.v1',
    });
    for (const t of ALL_TOPICS) expect(t).toMatch(/^netsentry\.[a-z]+\.v\d+$/);
    expect(new Set(ALL_TOPICS).size).toBe(ALL_TOPICS.length);
  });
});
