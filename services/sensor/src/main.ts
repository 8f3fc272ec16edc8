import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readSensorConfig } from './config';
import { checkReplayFile } from './replay.input';
import { SensorModule } from './sensor.module';
import { SensorService } from './sensor.service';

async function main(): Promise<void> {
  const cfg = readSensorConfig();
  if (!cfg.ok) {
    process.stderr.write(cfg.message + '\n');
    process.exit(2);
  }
  const replay = cfg.config.replay;
  if (replay) {
    // An input error, like a bad setting: said before anything connects to Kafka.
    const input = await checkReplayFile(replay);
    if (!input.ok) {
      process.stderr.write(`sensor: --replay: ${input.message}\n`);
      process.exit(2);
    }
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
    if (!r.drained) {
      // The broker stayed away for a minute with packets still queued: those are lost, so the
      // replay did not do its job (exit 1), whatever else was published.
      const c = sensor.counters.snapshot();
      process.stderr.write(`sensor: error: Kafka did not take every packet within 60 s of the end of the replay: ${c.published} of ${c.packetsSeen} published\n`);
    }
    await app.close();
    process.exit(r.drained ? 0 : 1);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`sensor: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
