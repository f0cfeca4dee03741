/**
 * Notes whether a local cluster was already running before the tests (a developer's own): the
 * teardown then leaves it up. Otherwise the teardown stops the one the tests started.
 */
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

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

/** The host's iptables rules without packet counters: `down` must leave them as it found them. */
function iptablesRules() {
  const saved = spawnSync('iptables-save', [], { encoding: 'utf8', timeout: 20_000 });
  if (saved.status !== 0) return undefined;
  return saved.stdout
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/, ''))
    .join('\n');
}
module.exports.iptablesRules = iptablesRules;
