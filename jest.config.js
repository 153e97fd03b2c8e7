// Test tiers are visible in file names: *.unit.test.ts need no infrastructure;
// *.int.test.ts and *.e2e.test.ts run against the real stack (npm run stack:up).
// jest 29 + ts-jest (transpiling only, as tsconfig sets isolatedModules; `npm run typecheck` checks types): jest 30 and @swc/jest
// pull platform-native optional packages that this registry does not serve, which leaves
// package-lock.json incomplete and makes `npm ci` refuse it.
const base = {
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleNameMapper: {
    '^@orderflow/shared$': '<rootDir>/services/shared/src/index.ts',
    '^@orderflow/shared/(.*)$': '<rootDir>/services/shared/src/$1',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.stack/', '<rootDir>/dist/'],
};
const onStack = {
  ...base,
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/tests/support/timeouts.ts'],
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.unit.test.ts'],
      globalSetup: '<rootDir>/tests/support/build-setup.ts',
    },
    { ...onStack, displayName: 'int', testMatch: ['<rootDir>/**/*.int.test.ts'] },
    { ...onStack, displayName: 'e2e', testMatch: ['<rootDir>/**/*.e2e.test.ts'] },
  ],
};
