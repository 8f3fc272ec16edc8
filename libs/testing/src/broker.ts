import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const KAFKA_DIR = resolve(__dirname, '../../../infra/kafka');

/** A broker of its own for tests that stop or restart Kafka (never the shared 9092 one). */
export interface DedicatedBroker {
  brokers: string[];
  port: number;
  dataDir: string;
  /** Stops the broker and deletes its data. */
  stop(): Promise<void>;
  /** Clean stop (SIGTERM) and start again on the same port and data: committed messages survive. */
  restart(): Promise<void>;
}

function run(script: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    execFile('bash', [join(KAFKA_DIR, script)], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${script} failed: ${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts a separate single-node broker with infra/kafka/start.sh on `port` (default: a free
 * port, so parallel runs never meet) and its controller on a second free port, with data in a
 * fresh temp folder. Needs the jars start.sh fetches (it fetches
 * them if missing). Always `stop()` it in afterAll.
 */
export async function startDedicatedBroker(opts: { port?: number; heap?: string } = {}): Promise<DedicatedBroker> {
  const port = opts.port ?? (await freePort());
  let controllerPort = await freePort();
  if (controllerPort === port) controllerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `netsentry-kafka-${port}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_HEAP: opts.heap ?? '-Xmx256m -Xms64m',
    KAFKA_START_TIMEOUT: '120',
  };
  delete env.KAFKA_BROKERS; // start.sh would otherwise start nothing
  const start = () => run('start.sh', env, 180000);
  const stopOnly = () => run('stop.sh', env, 60000);
  await start();
  return {
    brokers: [`127.0.0.1:${port}`],
    port,
    dataDir,
    async stop() {
      try {
        await stopOnly();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    async restart() {
      await stopOnly();
      await start();
    },
  };
}
