/**
 * Jest's own runner, in two phases whatever --maxWorkers is: first the suites that may run side
 * by side (on as many workers as jest was given), then, one at a time in the sequencer's order,
 * the suites that must run alone (tests/support/suites.js): the cluster scenario, which shares one
 * cluster and builds on each file's state, and the suites that measure time or memory under load.
 * Every project names this file, so jest makes one runner and hands it every test.
 */
const TestRunner = require('jest-runner').default;
const { runsAlone } = require('./suites');

class PhasedRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const together = tests.filter((test) => !runsAlone(test.path));
    const alone = tests.filter((test) => runsAlone(test.path));
    if (together.length > 0) await super.runTests(together, watcher, options);
    if (alone.length > 0 && !watcher.isInterrupted()) await super.runTests(alone, watcher, { ...options, serial: true });
  }
}

module.exports = PhasedRunner;
