import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

// The architecture rules of eslint.config.js, checked on code that breaks them: if the Nx rule
// were silently skipped (no project graph) or a constraint were dropped, these would pass lint.
// ESLint runs in a child process (its config loader needs native dynamic import, which jest's VM lacks).
const ROOT = resolve(__dirname, '../../../..');

const LINT_CASES = `
const { ESLint } = require('eslint');
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const c of cases) {
    const [r] = await eslint.lintText(c.code, { filePath: require('path').resolve(c.file) });
    out.push(r.messages.filter((m) => m.severity === 2).map((m) => m.ruleId + ': ' + m.message));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const REJECT: [string, string, string, RegExp][] = [
  ['a core lib importing TypeORM', 'libs/packets/src/x.ts', `import { DataSource } from 'typeorm';\nexport const a = DataSource;`, /not allowed to import "typeorm"/],
  ['a core lib importing NestJS', 'libs/detection/src/x.ts', `import { Injectable } from '@nestjs/common';\nexport const a = Injectable;`, /not allowed to import "@nestjs\/common"/],
  ['a lib importing the storage (data) lib', 'libs/flows/src/x.ts', `import { storeFlows } from '@netsentry/storage';\nexport const a = storeFlows;`, /can only depend on libs tagged/],
  ['contracts importing a lib', 'libs/contracts/src/x.ts', `import { x } from '@netsentry/packets';\nexport const a = x;`, /can only depend on libs tagged/],
  ['a service importing another service', 'services/detector/src/x.ts', `import { x } from '../../sensor/src/main';\nexport const a = x;`, /enforce-module-boundaries/],
  ['production code importing test helpers', 'libs/flows/src/x.ts', `import { kafkaBrokers } from '@netsentry/testing';\nexport const a = kafkaBrokers;`, /test helpers only in specs/],
  ['a black-box test importing a data lib its project may not use', 'libs/flows/test/x.spec.ts', `import { storeFlows } from '@netsentry/storage';\nit('x', () => expect(storeFlows).toBeTruthy());`, /can only depend on libs tagged/],
  ['a committed it.skip', 'libs/flows/src/x.spec.ts', `it.skip('x', () => undefined);`, /itIf/],
];
const ACCEPT: [string, string, string][] = [
  ['a service importing libs', 'services/detector/src/x.ts', `import { storeFlows } from '@netsentry/storage';\nimport { Topics } from '@netsentry/contracts';\nexport const a = [storeFlows, Topics];`],
  ['a spec importing test helpers', 'libs/flows/src/x.spec.ts', `import { kafkaBrokers } from '@netsentry/testing';\nit('x', () => expect(kafkaBrokers()).toBeTruthy());`],
  ['a black-box test importing its own project by its public name', 'libs/flows/test/x.spec.ts', `import * as flows from '@netsentry/flows';\nit('x', () => expect(flows).toBeTruthy());`],
  ['the storage lib importing TypeORM', 'libs/storage/src/x.ts', `import { DataSource } from 'typeorm';\nexport const a = DataSource;`],
];

describe('module boundaries (eslint.config.js)', () => {
  let results: string[][] = [];
  beforeAll(() => {
    execFileSync('npx', ['nx', 'show', 'projects'], { cwd: ROOT, stdio: 'ignore' }); // builds the cached graph
    const cases = [...REJECT, ...ACCEPT].map(([, file, code]) => ({ file, code }));
    results = JSON.parse(execFileSync('node', ['-e', LINT_CASES], { cwd: ROOT, input: JSON.stringify(cases), encoding: 'utf8' }));
  }, 180000);

  it.each(REJECT.map((c, i) => [c[0], i, c[3]] as const))('rejects %s', (_name, i, expected) => {
    expect(results[i].join('\n')).toMatch(expected);
  });

  it.each(ACCEPT.map((c, i) => [c[0], REJECT.length + i] as const))('accepts %s', (_name, i) => {
    expect(results[i]).toEqual([]);
  });
});
