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
  // The sensor handles its own stop signals below: it reports what it could not deliver and
  // chooses its exit code (0 for a clean stop), which Nest's hooks (re-raising the signal) would
  // not let it do.
  const sensor = app.get(SensorService);
  const started = await sensor.start();
  if (!started.ok) {
    process.stderr.write(`sensor: ${started.message}\n`);
    await app.close();
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ event: 'started', sensor: cfg.config.sensorId, source: replay ?? cfg.config.iface }) + '\n');
  const every = Number(process.env.SENSOR_LOG_EVERY_MS ?? 0);
  if (every > 0) setInterval(() => process.stdout.write(JSON.stringify({ event: 'counters', ...sensor.counters.snapshot() }) + '\n'), every).unref();
  if (!replay) {
    // Live: a first signal stops the capture and flushes (bounded by SENSOR_STOP_DRAIN_MS); a
    // second one, with the listener gone, ends the process at once.
    const stopLive = (): void => {
      process.off('SIGTERM', stopLive);
      process.off('SIGINT', stopLive);
      void app.close().then(() => {
        if (!sensor.stopDrained) process.stderr.write(`sensor: error: stopped with batches Kafka had not taken within ${cfg.config.stopDrainMs / 1000} s\n`);
        process.exit(sensor.stopDrained ? 0 : 1);
      });
    };
    process.on('SIGTERM', stopLive);
    process.on('SIGINT', stopLive);
  }
  if (replay) {
    // A first signal stops gracefully (bounded by SENSOR_STOP_DRAIN_MS); a second one, with the
    // listener gone, ends the process at once.
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      sensor.stopReplay();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    const r = await sensor.runReplay();
    if (r.error) process.stderr.write(`sensor: warning: ${r.error.message}\n`);
    const cpu = process.cpuUsage();
    const c = sensor.counters.snapshot();
    const undelivered = c.packetsSeen - c.published;
    process.stdout.write(
      JSON.stringify({
        event: r.stopped ? 'replay_stopped' : 'replay_done',
        ...c,
        frames: r.frames,
        undelivered,
        bufferedPeakBytes: sensor.bufferedPeakBytes,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      }) + '\n',
    );
    const refused = sensor.refused;
    if (refused.packets > 0) process.stderr.write(`sensor: error: ${refused.packets} packets dropped: ${refused.why}\n`);
    if (!r.drained || undelivered > refused.packets) {
      // Packets read were not taken by Kafka in the time allowed: those are lost, so the replay
      // did not do its job (exit 1), whatever else was published.
      const counts = `${c.published} of ${c.packetsSeen} published` + (undelivered === 0 ? ', not every end-of-input mark' : '');
      process.stderr.write(
        r.stopped
          ? `sensor: error: stopped with ${undelivered} packets read and not delivered to Kafka (${counts})\n`
          : `sensor: error: Kafka did not take every packet within ${cfg.config.replayDrainMs / 1000} s of the end of the replay: ${counts}\n`,
      );
    }
    await app.close();
    // Packets dropped on the way (refused by the broker, or no room at a stop) were not delivered either.
    process.exit(r.drained && undelivered === 0 ? 0 : 1);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`sensor: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
