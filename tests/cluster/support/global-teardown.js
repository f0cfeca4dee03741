/**
 * Stops the local cluster the tests started, even when tests failed (VISITS_KEEP_CLUSTER=1 keeps
 * it), and checks that `down` left the host's iptables rules as they were before the tests.
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { iptablesRules } = require('./host-iptables');

module.exports = async () => {
  const external = process.env.VISITS_CLUSTER === 'external';
  if (external || globalThis.__visitsClusterWasRunning || process.env.VISITS_KEEP_CLUSTER === '1') return;
  const result = spawnSync('bash', [join(__dirname, '../../../scripts/cluster-local/main.sh'), 'down'], {
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`npm run cluster:local -- down failed (exit ${result.status})`);
  const before = globalThis.__visitsIptablesBefore;
  const after = iptablesRules();
  if (before !== undefined && after !== before) {
    const added = after.split('\n').filter((line) => !before.includes(line));
    const removed = before.split('\n').filter((line) => !after.includes(line));
    throw new Error(`cluster:local down changed the host's iptables rules:\n+ ${added.join('\n+ ')}\n- ${removed.join('\n- ')}`);
  }
};
