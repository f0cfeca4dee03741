/**
 * Grafana's admin credentials come from a Secret that exists outside git: the chart's generated
 * password would change on every render, that is on every Argo CD refresh.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/rendered-monitoring';

test.each(readdirSync(join(REPO_ROOT, 'clusters')))('clusters/%s: Grafana reads its admin from an existing Secret', (cluster) => {
  const app = parse(readFileSync(join(REPO_ROOT, 'clusters', cluster, 'kube-prometheus-stack.yaml'), 'utf8'));
  const values = app.spec.source.helm.valuesObject;
  expect(values.grafana.admin).toEqual({ existingSecret: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
  expect(values.grafana.adminPassword).toBeUndefined();
});
