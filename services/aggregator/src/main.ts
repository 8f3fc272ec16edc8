import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readAggregatorConfig } from './config';
import { AggregatorModule } from './aggregator.module';
import { PacketsConsumer } from './packets.consumer';

async function main(): Promise<void> {
  const cfg = readAggregatorConfig();
  if (!cfg.ok) {
    process.stderr.write(cfg.message + '\n');
    process.exit(2);
  }
  const app = await NestFactory.createApplicationContext(AggregatorModule.forRoot(cfg.config), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  const consumer = app.get(PacketsConsumer);
  try {
    await consumer.start();
  } catch (e) {
    process.stderr.write(`aggregator: cannot start: ${(e as Error).message}\n`);
    await app.close();
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ event: 'started', instance: cfg.config.instanceId }) + '\n');
  const statsEvery = Number(process.env.AGGREGATOR_LOG_EVERY_MS ?? 10000);
  setInterval(() => {
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ event: 'counters', ...consumer.counters, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
  }, statsEvery).unref();
}

main().catch((e: unknown) => {
  process.stderr.write(`aggregator: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
