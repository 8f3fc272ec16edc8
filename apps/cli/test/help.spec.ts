import { spawnSync } from 'node:child_process';
import { VERSION } from '../src/cli';
import { cli, cliProcess, REPO } from './helpers';

const COMMANDS = ['analyze', 'train', 'detect', 'flows', 'hosts', 'capture', 'eval'];

describe('netsentry --help', () => {
  it('lists every command, the exit codes and examples', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain('Exit status: 0 done; 1 alerts at or above --fail-on were found; 2 usage or input error.');
  });

  it.each(COMMANDS)('%s --help documents its options with examples', async (c) => {
    const r = await cli([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: netsentry ${c}`);
    expect(r.out).toContain('Examples:');
    expect(r.out).toContain(`$ `);
  });

  it('analyze --help names the outputs, --model, --fail-on and live options', async () => {
    const r = await cli(['analyze', '--help']);
    for (const o of ['--model', '--out', '--rules', '--format', '--fail-on', '-i, --interface', '--bpf', '--duration', '--quiet'])
      expect(r.out).toContain(o);
    expect(r.out).toMatch(/summary\.json.*flows\.csv.*alerts\.csv.*anomalies\.csv.*report\.html/s);
  });

  it('exits 2 on usage errors with one clear line', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/netsentry: unknown command 'frobnicate'/);
    const badOpt = await cli(['analyze', 'x.pcap', '--no-such-option']);
    expect(badOpt.code).toBe(2);
    expect(badOpt.err).toContain("unknown option '--no-such-option'");
    const badSev = await cli(['analyze', 'x.pcap', '--fail-on', 'urgent']);
    expect(badSev.code).toBe(2);
    expect(badSev.err).toContain('urgent');
    const noFile = await cli(['analyze']);
    expect(noFile.code).toBe(2);
    expect(noFile.err).toContain('no capture file given');
    const trainNoOut = await cli(['train', 'a.pcap']);
    expect(trainNoOut.code).toBe(2);
    expect(trainNoOut.err).toContain('--out');
  });

  it('the installed executable runs: npx netsentry --help from the repository root', () => {
    const r = cliProcess(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: netsentry');
    const v = cliProcess(['--version']);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bad = cliProcess(['analyze', '--fail-on', 'nope', 'x.pcap']);
    expect(bad.code).toBe(2);
    // The same from the TypeScript sources (what the bin runs when apps/cli/dist is missing or stale).
    const src = cliProcess(['analyze', '--fail-on', 'nope', 'x.pcap'], { env: { NETSENTRY_CLI_FROM_SOURCE: '1' } });
    expect([src.code, src.err]).toEqual([bad.code, bad.err]);
    // npm workspaces link the bin into node_modules/.bin: `npx netsentry` from the root.
    const npx = spawnSync('npx', ['--no-install', 'netsentry', '--version'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(npx.status).toBe(0);
    expect(npx.stdout.trim()).toBe(VERSION);
  });
});
