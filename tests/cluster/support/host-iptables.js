const { spawnSync } = require('node:child_process');

/**
 * What of the host's iptables rules belongs to the local cluster: its bridge (visits0), its
 * chains (VISITS-LOCAL, kube-proxy's and the kubelet's KUBE-*), the CNI network it names
 * ("visits") and its address ranges (pods 10.244/16, Services 10.96/16, nodes 10.250/16).
 * Other programs change the rest while the tests run (podman adds its CNI-FORWARD, CNI-ADMIN
 * and nat chains the first time it runs a container on a machine), and `down` must not be
 * blamed for them.
 */
const CLUSTER_RULE = /visits0|VISITS-|KUBE-|name: \\?"visits\\?"|10\.244\.|10\.96\.|10\.250\./;

/** The cluster's iptables rules without packet counters: `down` must leave them as it found them. */
function iptablesRules() {
  const saved = spawnSync('iptables-save', [], { encoding: 'utf8', timeout: 20_000 });
  if (saved.status !== 0) return undefined;
  return clusterRules(saved.stdout);
}

/** The lines of an `iptables-save` output that belong to the cluster, counters dropped. */
function clusterRules(saved) {
  return saved
    .split('\n')
    .filter((line) => line && !line.startsWith('#') && CLUSTER_RULE.test(line))
    .map((line) => line.replace(/\[\d+:\d+\]/, ''))
    .join('\n');
}
module.exports = { iptablesRules, clusterRules };
