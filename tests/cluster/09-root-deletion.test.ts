/**
 * The root Application manages itself and everything in clusters/<env>. Deleting it by accident
 * (or renaming it in git, which prunes the old name) must not take the visits StatefulSet with
 * it: root carries no cascade finalizer, and what it manages is marked Prune=false,Delete=false.
 * Runs last: it deletes root, then restores it exactly as docs/deploy.md bootstraps a cluster.
 */
import { waitFor } from '../support/wait-for';
import { Checkout, application, get, kubectl, kubectlResult, list, useCluster, waitSyncedHealthy } from './support/cluster';

useCluster();

test('deleting the root Application leaves every Application, project and workload in place', async () => {
  const before = {
    visits: (await application('visits')).metadata.uid,
    stack: (await application('kube-prometheus-stack')).metadata.uid,
    projects: (await list('appprojects.argoproj.io', 'argocd')).map((p) => p.metadata.name).sort(),
    statefulset: (await get('statefulset', 'visits')).metadata.uid,
  };
  await kubectl(['-n', 'argocd', 'delete', 'application', 'root', '--wait=true', '--timeout=60s']);
  expect((await kubectlResult(['-n', 'argocd', 'get', 'application', 'root'])).stderr).toMatch(/NotFound/);

  // A cascade would start at once; give the controller time to show one if it were coming.
  await new Promise((r) => setTimeout(r, 15_000));
  const after = {
    visits: (await application('visits')).metadata.uid,
    stack: (await application('kube-prometheus-stack')).metadata.uid,
    projects: (await list('appprojects.argoproj.io', 'argocd')).map((p) => p.metadata.name).sort(),
    statefulset: (await get('statefulset', 'visits')).metadata.uid,
  };
  expect(after).toEqual(before);
  expect((await application('visits')).metadata.deletionTimestamp).toBeUndefined();
  expect((await get('statefulset', 'visits')).status.readyReplicas).toBe(3);

  // Put root back the one way docs/deploy.md gives: apply clusters/dev from git, once.
  const checkout = await Checkout.clone();
  try {
    await kubectl(['apply', '-k', checkout.path('clusters/dev')]);
  } finally {
    await checkout.remove();
  }
  await waitFor('root to be back', 30_000, async () =>
    (await kubectlResult(['-n', 'argocd', 'get', 'application', 'root'])).code === 0 ? true : undefined,
  );
  await waitSyncedHealthy('root');
  await waitSyncedHealthy('visits');
});
