// Tests by tier, by suffix (docs/CONVENTIONS.md): unit = *.spec.ts (pure), int = *.int-spec.ts (real Kafka,
// MongoDB-compatible server, simulator), e2e = *.e2e-spec.ts (whole processes over HTTP).
const moduleNameMapper = {
  '^@ssync/(domain|messaging|read-models|security|exchange|common|coordination)$': '<rootDir>/libs/$1/src',
  '^@ssync/(domain|messaging|read-models|security|exchange|common|coordination)/(.*)$': '<rootDir>/libs/$1/src/$2',
  '^@ssync/testing$': '<rootDir>/test/support',
  '^@ssync/testing/(.*)$': '<rootDir>/test/support/$1',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] };
const base = {
  rootDir: __dirname,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.cache/'],
};
module.exports = {
  // Real services on a 2-core machine: generous per-test time; no timing assertions anywhere.
  testTimeout: 180000,
  // kafkajs keeps sockets and timers a moment after disconnect; every suite closes what it starts.
  forceExit: true,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'int',
      testMatch: ['<rootDir>/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};
