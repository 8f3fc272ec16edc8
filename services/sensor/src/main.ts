import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readSensorConfig } from './config';
import { SensorModule } from './sensor.module';
import { SensorService } from './sensor.service';

async function main(): Promise<void> {
  const cfg = readSensorConfig();
  if (!cfg.ok) {
    process.stderr.write(cfg.message + '\n');
    process.exit(2);
  }
  const app = await NestFactory.createApplicationContext(SensorModule.forRoot(cfg.config), { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  const sensor = app.get(SensorService);
  const started = await sensor.start();
  if (!started.ok) {
    process.stderr.write(`sensor: ${started.message}\n`);
    await app.close();
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ event: 'started', sensor: cfg.config.sensorId, source: cfg.config.replay ?? cfg.config.iface }) + '\n');
  const every = Number(process.env.SENSOR_LOG_EVERY_MS ?? 0);
  if (every > 0) setInterval(() => process.stdout.write(JSON.stringify({ event: 'counters', ...sensor.counters.snapshot() }) + '\n'), every).unref();
  if (cfg.config.replay) {
    const r = await sensor.runReplay();
    if (r.error) process.stderr.write(`sensor: warning: ${r.error.message}\n`);
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ event: 'replay_done', ...sensor.counters.snapshot(), frames: r.frames, cpuMs: Math.round((cpu.user + cpu.system) / 1000) }) + '\n');
    await app.close();
    process.exit(0);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`sensor: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
