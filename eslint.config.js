// Flat ESLint config: typescript-eslint for real problems (not style), and the Nx module-boundary
// rule for the architecture: services and apps depend on libs, never on each other; libs never on
// services or apps; core libs (packets, flows, detection) never on NestJS, Next, React or TypeORM.
const fs = require('node:fs');
const path = require('node:path');
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

const FRAMEWORKS = ['@nestjs/*', 'next', 'next/*', 'react', 'react-dom', 'typeorm', 'pg', 'pg-copy-streams'];

const DEP_CONSTRAINTS = [
  // Type axis: the dependency matrix.
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:data', 'type:contract', 'type:testing'] },
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:data', 'type:contract', 'type:testing'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:contract', 'type:testing'] },
  { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:contract', 'type:testing'] },
  { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['type:contract'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contract', 'type:lib', 'type:data'] },
  // Scope axis: shared projects (contracts, testing) stay independent of any feature scope.
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  // Core libs are framework-free: pure TypeScript over bytes and numbers.
  { sourceTag: 'scope:packets', onlyDependOnLibsWithTags: ['*'], bannedExternalImports: FRAMEWORKS },
  { sourceTag: 'scope:flows', onlyDependOnLibsWithTags: ['*'], bannedExternalImports: FRAMEWORKS },
  { sourceTag: 'scope:detection', onlyDependOnLibsWithTags: ['*'], bannedExternalImports: FRAMEWORKS },
  { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['*'], bannedExternalImports: FRAMEWORKS },
];

/** The Nx module-boundary rule; `allow` lists imports exempt from checks. */
function boundaries(allow) {
  return ['error', { enforceBuildableLibDependency: false, allow, depConstraints: DEP_CONSTRAINTS }];
}

// Black-box tests under a project's test/ folder may import the project through its public API
// (`@netsentry/<name>`), like any consumer; the rule would otherwise demand relative imports.
const selfImportInTests = ['libs', 'services', 'apps'].flatMap((group) =>
  (fs.existsSync(path.join(__dirname, group)) ? fs.readdirSync(path.join(__dirname, group)) : [])
    .filter((dir) => fs.existsSync(path.join(__dirname, group, dir, 'package.json')))
    .map((dir) => ({
      files: [`${group}/${dir}/test/**/*.ts`, `${group}/${dir}/test/**/*.tsx`],
      rules: { '@nx/enforce-module-boundaries': boundaries([`@netsentry/${dir}`]) },
    })),
);

module.exports = tseslint.config(
  {
    ignores: [
      '**/node_modules/**', '**/dist/**', '**/.next/**', '**/out/**', '**/coverage/**', '.cache/**', '.nx/**',
      '**/next-env.d.ts', 'tmp/**', 'demo-output/**', 'data/**', 'bench/data/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    // CommonJS is the module system here: require() is legitimate (bin scripts, optional natives).
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries([]),
      // Real problems stay errors; matters of taste are warnings or off.
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-unused-expressions': ['warn', { allowShortCircuit: true, allowTernary: true }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'prefer-const': 'warn',
      // Honest skips only (itIf from @netsentry/testing); focused tests never get committed.
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'skip', message: 'use itIf(cond, reason) from @netsentry/testing' },
        { object: 'describe', property: 'skip', message: 'use itIf(cond, reason) from @netsentry/testing' },
        { object: 'test', property: 'skip', message: 'use itIf(cond, reason) from @netsentry/testing' },
        { object: 'it', property: 'only', message: 'focused test committed' },
        { object: 'describe', property: 'only', message: 'focused test committed' },
        { object: 'test', property: 'only', message: 'focused test committed' },
      ],
    },
  },
  {
    // Test helpers are for tests: production code never imports @netsentry/testing.
    files: ['libs/**/src/**/*.ts', 'services/**/src/**/*.ts', 'apps/**/src/**/*.ts', 'apps/**/*.tsx'],
    ignores: ['**/*.spec.ts', '**/*.spec.tsx', '**/test/**', '**/testing/**', 'libs/testing/**', '**/*.bench.ts', '**/test-fixtures.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: '@netsentry/testing', message: 'test helpers only in specs' }] }],
    },
  },
  ...selfImportInTests,
  {
    // The one place allowed to call it.skip: the helper that turns a condition into a visible skip.
    files: ['libs/testing/src/skip.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
  },
);
