/** The service's tests: unit, in-process end to end (Nest + Fastify), and real child processes. */
module.exports = {
  displayName: 'service',
  rootDir: __dirname,
  testEnvironment: 'node',
  // One runner for every project: the suites that must run alone do, after the others.
  runner: '<rootDir>/../tests/support/phased-runner.js',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // Prints the Node.js version the run is on, and stops a run on any but the pinned one.
  globalSetup: '<rootDir>/test/support/node-runtime.ts',
};
