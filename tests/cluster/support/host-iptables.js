const { spawnSync } = require('node:child_process');

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
module.exports = { iptablesRules };
