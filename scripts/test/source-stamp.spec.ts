import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// scripts/ is plain CommonJS.
const stamp = require('../source-stamp') as {
  stampBeforeBuild(root: string, unit?: string): Record<string, unknown>;
  writeStamp(root: string, dist: string, before: Record<string, unknown>, unit?: string): void;
  distIsFresh(root: string, dist: string, unit?: string): boolean;
};

/** A small repository tree: the CLI, a compiled library, one the build did not compile, the configuration. */
function tree(): { root: string; dist: string; write: (rel: string, text: string) => void } {
  const root = mkdtempSync(join(tmpdir(), 'netsentry-stamp-'));
  const write = (rel: string, text: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  for (const f of ['tsconfig.base.json', 'apps/cli/tsconfig.build.json', 'apps/cli/scripts/build.js', 'apps/cli/scripts/code-cache.js', 'apps/cli/package.json', 'scripts/compiled-tree.js']) {
    write(f, '{}');
  }
  write('apps/cli/src/main.ts', 'export {};');
  write('apps/cli/src/commands/analyze.ts', 'export const a = 1;');
  write('libs/flows/package.json', '{}');
  write('libs/flows/src/index.ts', 'export const f = 1;');
  write('libs/flows/src/flow-table.spec.ts', 'test');
  write('libs/storage/package.json', '{}');
  write('libs/storage/src/index.ts', 'export const s = 1;');
  const dist = join(root, 'apps/cli/dist');
  mkdirSync(join(dist, 'libs/flows'), { recursive: true });
  return { root, dist, write };
}

describe('the CLI build stamp (which dist/ the repository bin may run)', () => {
  let t: ReturnType<typeof tree>;
  beforeEach(() => {
    t = tree();
    stamp.writeStamp(t.root, t.dist, stamp.stampBeforeBuild(t.root));
  });
  afterEach(() => rmSync(t.root, { recursive: true, force: true }));

  it('is fresh right after the build, and stays so when only tests or uncompiled libraries change', () => {
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(true);
    t.write('libs/flows/src/flow-table.spec.ts', 'a longer test');
    t.write('libs/storage/src/index.ts', 'export const s = 2; // not in dist');
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(true);
  });

  it('is stale when a compiled source or the build configuration changes, appears or goes', () => {
    t.write('apps/cli/src/commands/analyze.ts', 'export const a = 2;'); // same size, new mtime
    utimesSync(join(t.root, 'apps/cli/src/commands/analyze.ts'), new Date(), new Date(Date.now() + 5000));
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    stamp.writeStamp(t.root, t.dist, stamp.stampBeforeBuild(t.root));
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(true);

    t.write('libs/flows/src/new-module.ts', 'export {};');
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    unlinkSync(join(t.root, 'libs/flows/src/new-module.ts'));
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(true);

    unlinkSync(join(t.root, 'libs/flows/src/index.ts'));
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    t.write('libs/flows/src/index.ts', 'export const f = 1;');
    t.write('tsconfig.base.json', '{ "compilerOptions": {} }');
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
  });

  it('is stale when a source changes during the build (the stamp is taken before it)', () => {
    const before = stamp.stampBeforeBuild(t.root);
    t.write('libs/flows/src/index.ts', 'export const f = 12;');
    stamp.writeStamp(t.root, t.dist, before);
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
  });

  it('is not fresh without a stamp or with a damaged one', () => {
    unlinkSync(join(t.dist, 'build-stamp.json'));
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    writeFileSync(join(t.dist, 'build-stamp.json'), '{"libs":');
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    writeFileSync(join(t.dist, 'build-stamp.json'), '{"libs":["flows"],"files":null}');
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
  });

  it('keeps the units apart: a services stamp is never fresh for the CLI, and the services follow their own sources', () => {
    for (const f of ['tsconfig.services.json', 'scripts/build-services.js', 'package.json']) t.write(f, '{}');
    t.write('services/detector/src/main.ts', 'export {};');
    stamp.writeStamp(t.root, t.dist, stamp.stampBeforeBuild(t.root, 'services'), 'services');
    expect(stamp.distIsFresh(t.root, t.dist, 'services')).toBe(true);
    expect(stamp.distIsFresh(t.root, t.dist)).toBe(false);
    t.write('apps/cli/src/main.ts', 'export const c = 1;'); // not part of the services
    expect(stamp.distIsFresh(t.root, t.dist, 'services')).toBe(true);
    t.write('services/detector/src/main.ts', 'export const d = 1;');
    expect(stamp.distIsFresh(t.root, t.dist, 'services')).toBe(false);
  });
});
