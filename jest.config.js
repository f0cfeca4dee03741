/** One runner for the whole repository: the service's own tests and the repository-level suites. */
module.exports = {
  projects: ['<rootDir>/service/jest.config.js', '<rootDir>/tests/jest.config.js', '<rootDir>/tests/cluster/jest.config.js'],
  testSequencer: '<rootDir>/tests/support/sequencer.js',
  // A global option: per-project testTimeout is ignored when projects are used. Suites that
  // wait longer (Prometheus alerts, the soak, the image build) set their own.
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
};
