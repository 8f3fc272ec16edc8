import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { haveCommand, itIf } from '../skip';

// docker-compose.yml is checked without an engine: Debian's docker-compose (or `docker compose`)
// validates and resolves it with `config`.
const ROOT = resolve(__dirname, '../../../..');

function composeCommand(): string[] | null {
  if (haveCommand('docker-compose')) return ['docker-compose'];
  if (haveCommand('docker') && spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return null;
}
const compose = composeCommand();
const REASON = 'neither docker-compose nor `docker compose` is installed (apt-get install docker-compose)';

function run(args: string[], file: string): { status: number | null; stdout: string; stderr: string } {
  const [cmd, ...pre] = compose!;
  const r = spawnSync(cmd, [...pre, '-f', file, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('docker-compose.yml', () => {
  itIf(compose !== null, REASON)('passes `config -q`', () => {
    const r = run(['config', '-q'], join(ROOT, 'docker-compose.yml'));
    if (r.status !== 0) throw new Error(`config -q failed (${r.status}): ${r.stderr}`);
  });

  itIf(compose !== null, REASON)('resolves to the official images and the whole pipeline with two sensors', () => {
    const r = run(['config'], join(ROOT, 'docker-compose.yml'));
    expect(r.status).toBe(0);
    const cfg = parse(r.stdout) as { services: Record<string, { image?: string; environment?: Record<string, string>; depends_on?: unknown }> };
    const s = cfg.services;
    expect(s.kafka.image).toMatch(/^apache\/kafka:4\./);
    expect(s.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(s.postgres.image).toBe('postgres:17');
    expect(Object.keys(s).filter((n) => n.startsWith('sensor'))).toHaveLength(2);
    for (const name of ['aggregator', 'detector', 'console', 'migrate']) expect(s[name]).toBeDefined();
    expect(JSON.stringify(s.detector.depends_on)).toContain('service_completed_successfully');
  });

  itIf(compose !== null, REASON)('the check can fail: a broken copy is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-compose-'));
    try {
      const broken = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').replace('  kafka:\n', '  kafka:\n    depends_on: 7\n');
      writeFileSync(join(dir, 'docker-compose.yml'), broken);
      expect(run(['config', '-q'], join(dir, 'docker-compose.yml')).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every Dockerfile target the compose file names exists', () => {
    const dockerfile = readFileSync(join(ROOT, 'infra/docker/Dockerfile'), 'utf8');
    const targets = [...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/target: (\S+)/g)].map((m) => m[1]);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of new Set(targets)) expect(dockerfile).toMatch(new RegExp(`^FROM .* AS ${t}$`, 'm'));
  });
});
