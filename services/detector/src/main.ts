import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readDetectorConfig } from './config';
import { DetectorModule } from './detector.module';
import { DetectorConsumer } from './detector.consumer';
import { alertChannelFromEnv } from './alerts.channel';
import { RetrainScheduler } from './retrain.scheduler';

async function main(): Promise<void> {
  const cfg = readDetectorConfig();
  if (!cfg.ok) {
    process.stderr.write(cfg.message + '\n');
    process.exit(2);
  }
  const channel = alertChannelFromEnv(process.env);
  if (!channel.ok) {
    process.stderr.write(`detector: ${channel.message}\n`);
    process.exit(2);
  }
  const app = await NestFactory.createApplicationContext(DetectorModule.forRoot(cfg.config, channel.channel), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  const consumer = app.get(DetectorConsumer);
  try {
    await consumer.start();
    app.get(RetrainScheduler).start();
  } catch (e) {
    process.stderr.write(`detector: cannot start: ${(e as Error).message}\n`);
    await app.close();
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ event: 'started', instance: cfg.config.instanceId }) + '\n');
  // Retention once at start too, not only every RETENTION_EVERY_MS (1 h): a detector restarted
  // more often than that would otherwise never apply it. It logs its own failures.
  void consumer.retention();
  const every = Number(process.env.DETECTOR_LOG_EVERY_MS ?? 10000);
  const cpuMs = (): number => {
    const c = process.cpuUsage();
    return Math.round((c.user + c.system) / 1000);
  };
  setInterval(() => process.stdout.write(JSON.stringify({ event: 'counters', ...consumer.counters, cpuMs: cpuMs() }) + '\n'), every).unref();
}

main().catch((e: unknown) => {
  process.stderr.write(`detector: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
