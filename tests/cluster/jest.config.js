/**
 * Tests against the local real cluster (npm run cluster:local): they share one cluster, which
 * the first of them brings up, and run last and in file order (tests/support/sequencer.js).
 */
module.exports = {
  displayName: 'cluster',
  rootDir: __dirname,
  testEnvironment: 'node',
  // One runner for every project: the suites that must run alone do, after the others.
  runner: '<rootDir>/../support/phased-runner.js',
  testMatch: ['<rootDir>/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.json' }] },
  globalSetup: '<rootDir>/support/global-setup.js',
  globalTeardown: '<rootDir>/support/global-teardown.js',
};
