/**
 * Runs the local-cluster tests last, in file-name order: they share one cluster and build on
 * each other's state (bootstrap first). phased-runner.js runs them alone, one at a time.
 */
const Sequencer = require('@jest/test-sequencer').default;
const { isKind } = require('./suites');

const isCluster = (test) => isKind('cluster', test.path);

class ClusterLastSequencer extends Sequencer {
  sort(tests) {
    const others = super.sort(tests.filter((t) => !isCluster(t)));
    const cluster = tests.filter(isCluster).sort((a, b) => a.path.localeCompare(b.path));
    return [...others, ...cluster];
  }
}

module.exports = ClusterLastSequencer;
