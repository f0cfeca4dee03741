/** The service's tests: unit, in-process end to end (Nest + Fastify), and real child processes. */
module.exports = {
  displayName: 'service',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  // Prints the Node.js version the run is on, and stops a run on any but the pinned one.
  globalSetup: '<rootDir>/test/support/node-runtime.ts',
};
