/**
 * `git push` is the deployment: a digest bump committed exactly as the release workflow commits
 * it (scripts/image-digest.mjs set, one commit touching apps/visits/envs/dev) and pushed to the
 * remote Argo CD watches. The remote's hook calls argocd-server's webhook; Argo CD syncs and the
 * real StatefulSet controller rolls every pod, each keeping its volume.
 */
import { waitFor } from '../support/wait-for';
import { application, describeApp, list, waitRolledTo, waitSyncedHealthy, type Obj, useCluster, useCheckout } from './support/cluster';

useCluster();
const checkout = useCheckout();

async function pvcUids(): Promise<Record<string, string>> {
  const pvcs = await list('pvc', 'visits');
  return Object.fromEntries(pvcs.map((p) => [p.metadata.name, p.metadata.uid]));
}

test('a pushed digest bump syncs within seconds and rolls every replica, volumes kept', async () => {
  const before = await pvcUids();
  const digest = await checkout().otherDigest();
  await checkout().node('scripts/image-digest.mjs', 'set', 'apps/visits/envs/dev', digest);
  expect(await checkout().git('diff', '--name-only')).toBe('apps/visits/envs/dev/kustomization.yaml\n');

  const pushedAt = Date.now();
  const commit = await checkout().commitAndPush(`deploy(dev): ghcr.io/example/visits@${digest}`);

  // The webhook, not the 3-minute poll: the sync of this very commit starts well inside a minute.
  await waitFor(`a sync of ${commit.slice(0, 12)} to start`, { timeoutMs: 60_000, describe: () => describeApp('visits') }, async () => {
    const app = await application('visits');
    return app.status?.operationState?.operation?.sync?.revision === commit ? true : undefined;
  });
  const syncStartedMs = Date.now() - pushedAt;

  const rolled = await waitRolledTo(digest, 180_000);
  const rolledMs = Date.now() - pushedAt;
  await waitSyncedHealthy('visits', commit);

  // The figures the docs quote; printed so every run shows them.
  console.log(
    `git push -> sync started: ${(syncStartedMs / 1000).toFixed(1)} s; -> all replicas updated: ${(rolledMs / 1000).toFixed(1)} s`,
  );

  expect(rolled.map((p: Obj) => p.metadata.name).sort()).toEqual(['visits-0', 'visits-1', 'visits-2']);
  expect(await pvcUids()).toEqual(before);
  for (const pod of rolled) {
    const claim = pod.spec.volumes.find((v: Obj) => v.name === 'data')?.persistentVolumeClaim?.claimName;
    expect(`${pod.metadata.name} -> ${claim}`).toBe(`${pod.metadata.name} -> data-${pod.metadata.name}`);
  }
});
