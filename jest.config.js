// One jest run over every project; each project keeps its specs next to its code.
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true, tsx: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
// scripts: the build and launch scripts (plain CommonJS) shared by the CLI and the services.
const projects = ['libs/*', 'services/*', 'apps/*', 'scripts'];
module.exports = {
  testTimeout: 120000,
  projects: projects.map((glob) => ({
    displayName: glob.split('/')[0],
    testEnvironment: 'node',
    roots: ['<rootDir>/' + glob.split('/')[0]],
    testMatch: ['**/src/**/*.spec.ts', '**/test/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/.next/'],
    transform: { '^.+\\.(t|j)sx?$': swc },
    moduleNameMapper: {
      '^@netsentry/(contracts|packets|flows|detection|storage|testing|evaluation|lab|messaging|notifications)$': '<rootDir>/libs/$1/src/index.ts',
    },
  })),
};
