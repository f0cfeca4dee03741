/**
 * Prometheus must keep what the rules read: its retention covers the longest range any visits
 * rule asks for (the SLO's 30 days), on a volume that survives a restart, with a size limit
 * below the volume's. Checked in every cluster's kube-prometheus-stack values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { CLUSTERS, stackValues } from './support/rendered-monitoring';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const BYTES: Record<string, number> = { GB: 1e9, GiB: 2 ** 30, Gi: 2 ** 30, TB: 1e12, TiB: 2 ** 40, Ti: 2 ** 40 };

const seconds = (duration: string): number => {
  const match = /^(\d+)([smhdwy])$/.exec(duration);
  if (!match) throw new Error(`not a Prometheus duration: ${duration}`);
  return Number(match[1]) * UNIT_SECONDS[match[2]];
};
const bytes = (size: string): number => {
  const match = /^(\d+)(GB|GiB|Gi|TB|TiB|Ti)$/.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  return Number(match[1]) * BYTES[match[2]];
};

const rules = readFileSync(join(REPO_ROOT, 'apps/visits/components/monitoring/prometheusrule.yaml'), 'utf8');
const longestRange = Math.max(...[...rules.matchAll(/\[(\d+[smhdwy])\]/g)].map((m) => seconds(m[1])));

test('the rules read ranges up to 30 days', () => {
  expect(longestRange).toBe(30 * 86400);
});

test.each(CLUSTERS)('clusters/%s: Prometheus keeps the longest range, on a volume, within its size', (cluster) => {
  const spec = stackValues(cluster).prometheus.prometheusSpec;
  expect(seconds(spec.retention)).toBeGreaterThan(longestRange);
  const volume = spec.storageSpec?.volumeClaimTemplate?.spec;
  expect(volume?.accessModes).toEqual(['ReadWriteOnce']);
  const capacity = bytes(volume.resources.requests.storage);
  expect(bytes(spec.retentionSize)).toBeLessThan(capacity);
});

test.each(CLUSTERS)("clusters/%s: Prometheus labels every alert with the cluster's name", (cluster) => {
  // Alertmanager routes dev away from the pager by this label (monitoring/src/routing.ts).
  expect(stackValues(cluster).prometheus.prometheusSpec.externalLabels).toEqual({ cluster });
});
