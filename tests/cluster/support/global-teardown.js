/** Stops the local cluster the tests started, even when tests failed (VISITS_KEEP_CLUSTER=1 keeps it). */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  if (globalThis.__visitsClusterWasRunning || process.env.VISITS_KEEP_CLUSTER === '1') return;
  const result = spawnSync('bash', [join(__dirname, '../../../scripts/cluster-local/main.sh'), 'down'], {
    stdio: 'inherit',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`npm run cluster:local -- down failed (exit ${result.status})`);
};
