import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { kafkaBrokers } from '../env';
import { itIf } from '../skip';

// infra/kafka/start.sh and stop.sh contracts that the restart test does not cover: the user's
// KAFKA_BROKERS is respected, a running broker is reused, and stop.sh never kills what it did not start.
const KAFKA = resolve(__dirname, '../../../../infra/kafka');

function sh(script: string, env: Record<string, string | undefined>, args: string[] = []) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync('bash', [join(KAFKA, script), ...args], { env: e, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const localDefault = kafkaBrokers().join(',') === '127.0.0.1:9092';

describe('infra/kafka scripts', () => {
  it('start nothing when KAFKA_BROKERS is set, and pass it on', () => {
    const r = sh('start.sh', { KAFKA_BROKERS: '192.0.2.1:9092' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('KAFKA_BROKERS=192.0.2.1:9092');
    expect(r.stderr).toMatch(/not starting a broker/);
  });

  itIf(localDefault, 'tests use a KAFKA_BROKERS cluster, not the local 127.0.0.1:9092 broker')(
    'reuse the broker already answering on 9092 instead of starting a second one',
    () => {
      const r = sh('start.sh', { KAFKA_BROKERS: undefined, KAFKA_PORT: '9092' });
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('KAFKA_BROKERS=127.0.0.1:9092');
      expect(r.stderr).toMatch(/reusing the broker/);
    },
  );

  it('stop.sh leaves alone a port it did not start a broker on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-kafka-stop-'));
    try {
      const r = sh('stop.sh', { KAFKA_PORT: '9092', KAFKA_DATA_DIR: dir });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/no broker started by start.sh/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the probe answers "no" on a port where nothing listens (exit 1, not a hang)', () => {
    const r = spawnSync('node', [join(KAFKA, 'probe.js'), '127.0.0.1:1'], { timeout: 30000 });
    expect(r.status).toBe(1); // a hang would be killed by the timeout: status null
  });
});
