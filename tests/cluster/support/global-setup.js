/**
 * Notes whether a local cluster was already running before the tests (a developer's own): the
 * teardown then leaves it up. Otherwise the teardown stops the one the tests started.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { iptablesRules } = require('./host-iptables');

module.exports = async () => {
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
