/**
 * Grafana's admin credentials come from a Secret that exists outside git: the chart's generated
 * password would change on every render, that is on every Argo CD refresh.
 */
import { CLUSTERS, stackValues } from './support/rendered-monitoring';

test.each(CLUSTERS)('clusters/%s: Grafana reads its admin from an existing Secret', (cluster) => {
  const values = stackValues(cluster);
  expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
  expect(values.grafana.adminPassword).toBeUndefined();
});
