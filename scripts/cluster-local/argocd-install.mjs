#!/usr/bin/env node
// Prints the parts of Argo CD's install manifest that a cluster needs when Argo CD's components
// run as host processes: CRDs, ServiceAccounts, RBAC, and the settings ConfigMaps and Secret.
// Workloads, Services and NetworkPolicies are left out: scripts/cluster-local runs the
// components itself.
//
//   node scripts/cluster-local/argocd-install.mjs <argo-cd module>/manifests/install.yaml
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const KEEP = new Set([
  'CustomResourceDefinition',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
]);

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: argocd-install.mjs <install.yaml>');
  process.exit(2);
}
const kept = [];
for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
  const object = doc.toJS();
  if (object && KEEP.has(object.kind)) kept.push(doc.toString());
}
if (kept.length === 0) throw new Error(`${file}: no objects of the kinds ${[...KEEP].join(', ')}`);
process.stdout.write(kept.join('---\n'));
