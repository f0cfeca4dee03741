/** One runner for the whole repository: the service's own tests and the repository-level suites. */
module.exports = {
  projects: ['<rootDir>/service/jest.config.js', '<rootDir>/tests/jest.config.js'],
  reporters: ['default', '<rootDir>/tests/support/summary-reporter.js'],
};
