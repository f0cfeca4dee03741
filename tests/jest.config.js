/** Repository-level suites: manifests, monitoring, pipeline, faults and security. */
module.exports = {
  displayName: 'repo',
  rootDir: __dirname,
  testEnvironment: 'node',
  // One runner for every project: the suites that must run alone do, after the others.
  runner: '<rootDir>/support/phased-runner.js',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/cluster/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
};
