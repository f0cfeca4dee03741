/**
 * Sync as a person does it in the Argo CD UI: log in with the admin password, press Sync (the
 * UI posts to /api/v1/applications/<name>/sync), and read the resource tree the UI draws.
 * The UI's bundle is not built here (docs/local-cluster.md); its API is the real argocd-server.
 */
import { waitFor } from '../support/wait-for';
import { ArgoApi, waitSyncedHealthy, type Obj, useCluster } from './support/cluster';

let api: ArgoApi;

useCluster();

beforeAll(async () => {
  api = await ArgoApi.login();
});

test('the Sync button: a sync through argocd-server runs to Succeeded', async () => {
  const before = await api.call('GET', '/api/v1/applications/visits');
  const previousStart = before.status?.operationState?.startedAt;
  // The body the UI sends for a plain Sync: the tracked revision, no dry run, no prune override.
  await api.call('POST', '/api/v1/applications/visits/sync', {
    revision: before.spec.source.targetRevision,
    prune: false,
    dryRun: false,
    strategy: { hook: {} },
  });
  const done = await waitFor('the UI-started sync to finish', 120_000, async () => {
    const app = await api.call('GET', '/api/v1/applications/visits');
    const op = app.status?.operationState;
    return op && op.startedAt !== previousStart && op.phase !== 'Running' ? app : undefined;
  });
  expect(done.status.operationState.phase).toBe('Succeeded');
  expect(done.status.operationState.operation.initiatedBy.username).toBe('admin');
  await waitSyncedHealthy('visits');
});

test('the resource tree holds the StatefulSet, its pods and its PVCs, all Healthy', async () => {
  const tree = await api.call('GET', '/api/v1/applications/visits/resource-tree');
  const nodes = tree.nodes as Obj[];
  const of = (kind: string) =>
    nodes
      .filter((n) => n.kind === kind)
      .map((n) => `${n.name} ${n.health?.status}`)
      .sort();
  expect(of('StatefulSet')).toEqual(['visits Healthy']);
  expect(of('Pod')).toEqual(['visits-0 Healthy', 'visits-1 Healthy', 'visits-2 Healthy']);
  expect(of('PersistentVolumeClaim')).toEqual(['data-visits-0 Healthy', 'data-visits-1 Healthy', 'data-visits-2 Healthy']);
  // The UI draws each pod under the StatefulSet that owns it.
  const sts = nodes.find((n) => n.kind === 'StatefulSet');
  const pod = nodes.find((n) => n.kind === 'Pod' && n.name === 'visits-0');
  expect(pod.parentRefs).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'StatefulSet', uid: sts.uid })]));
});
