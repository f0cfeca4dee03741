/**
 * Notes whether a local cluster was already running before the tests (a developer's own): the
 * teardown then leaves it up. Otherwise the teardown stops the one the tests started. With
 * VISITS_CLUSTER=external the tests start and stop nothing (tests/cluster/support/cluster.ts).
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { iptablesRules } = require('./host-iptables');

module.exports = async () => {
  // A cluster someone else brought up (CI's kind) is theirs to stop: nothing to note.
  if (process.env.VISITS_CLUSTER === 'external') return;
  let running = false;
  try {
    const [pid] = readFileSync(join(__dirname, '../../../.cluster/run/kube-apiserver.pid'), 'utf8').split(' ');
    process.kill(Number(pid), 0);
    running = true;
  } catch {
    running = false;
  }
  globalThis.__visitsClusterWasRunning = running;
  globalThis.__visitsIptablesBefore = iptablesRules();
};
