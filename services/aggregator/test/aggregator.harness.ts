import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { FlowV1 } from '@netsentry/contracts';
import { startService, type ServiceProcess } from '@netsentry/messaging';
import { kafkaBrokers } from '@netsentry/testing';

export const brokersEnv = (): string => kafkaBrokers().join(',');

/** Starts an aggregator process and waits until it consumes. */
export async function startAggregator(suffix: string, group: string, instance: string, extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = startService('aggregator', [], {
    KAFKA_BROKERS: brokersEnv(),
    NETSENTRY_TOPIC_SUFFIX: suffix,
    AGGREGATOR_GROUP_ID: group,
    AGGREGATOR_INSTANCE_ID: instance,
    PACKETS_PARTITIONS: '4',
    AGGREGATOR_LOG_EVERY_MS: '1000',
    ...extra,
  });
  await p.waitFor(/"event":"started"/, 60000);
  return p;
}

/** Starts a sensor process replaying a capture; it exits 0 once everything is published. */
export function replay(suffix: string, sensor: string, file: string, pace = 'max', extra: Record<string, string> = {}): ServiceProcess {
  const p = startService('sensor', ['--replay', file, '--sensor-id', sensor, '--pace', pace], {
    KAFKA_BROKERS: brokersEnv(),
    NETSENTRY_TOPIC_SUFFIX: suffix,
    PACKETS_PARTITIONS: '4',
    ...extra,
  });
  return p;
}

/** Waits until the consumer group has `members` members and is stable. */
export async function waitForGroup(kafka: Kafka, group: string, members: number, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const d = await admin.describeGroups([group]);
      const g = d.groups[0];
      if (g && g.state === 'Stable' && g.members.length === members) {
        // every member must hold partitions of the packets topic
        if (g.members.every((m) => m.memberAssignment.length > 0)) return;
      }
      if (Date.now() > until) throw new Error(`group ${group}: ${g?.members.length ?? 0} members, state ${g?.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Flow id → "packets/bytes" summary, for comparing runs. */
export function flowDigest(flows: FlowV1[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of flows) m.set(f.id, `${f.fwdPackets}/${f.bwdPackets}/${f.fwdBytes}/${f.bwdBytes}/${f.start}/${f.end}/${f.endReason}`);
  return m;
}

export const SYN_FLOOD = (dir: string): string => join(dir, 'stopddos/pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng');
export const MIXED = (dir: string): string => join(dir, 'zeek/irc-dcc-send.pcapng');
