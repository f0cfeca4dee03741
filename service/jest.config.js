/** The service's tests: unit, in-process end to end (Nest + Fastify), and real child processes. */
module.exports = {
  displayName: 'service',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
