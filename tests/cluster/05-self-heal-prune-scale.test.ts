/**
 * What automated sync with selfHeal and prune does to a stateful app, on the real Argo CD:
 * a hand edit is reverted, an object removed from git is deleted, and a PersistentVolumeClaim
 * never is, not even one whose replica was scaled away through git.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { waitFor } from '../support/wait-for';
import { get, kubectl, kubectlResult, list, waitSyncedHealthy, useCluster, useCheckout } from './support/cluster';

const OVERLAY = 'apps/visits/envs/dev/kustomization.yaml';
const PROBE = 'prune-probe'; // a ConfigMap that exists in git only between two commits

useCluster();
const checkout = useCheckout();

async function readyReplicas(count: number): Promise<true | undefined> {
  const sts = await get('statefulset', 'visits');
  return sts.spec.replicas === count && sts.status.readyReplicas === count && sts.status.replicas === count ? true : undefined;
}

/** Edits the dev overlay as a person would: replicas, and one extra ConfigMap or none. */
async function editOverlay(replicas: number | undefined, withProbe: boolean): Promise<void> {
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  if (replicas === undefined) doc.delete('replicas');
  else doc.set('replicas', [{ name: 'visits', count: replicas }]);
  if (withProbe)
    doc.set('configMapGenerator', [{ name: PROBE, literals: ['purpose=prune test'], options: { disableNameSuffixHash: true } }]);
  else doc.delete('configMapGenerator');
  await writeFile(checkout().path(OVERLAY), doc.toString());
}

test('selfHeal reverts kubectl scale sts visits --replicas=1', async () => {
  const generation = (await get('statefulset', 'visits')).metadata.generation;
  await kubectl(['-n', 'visits', 'scale', 'sts', 'visits', '--replicas=1']);
  // Argo CD may put 3 back before anything here reads 1 (self-heal takes well under a second on
  // an idle machine): the generation shows both writes, the scale and the revert.
  await waitFor(
    'the scale and its revert, two spec changes',
    { timeoutMs: 120_000, describe: async () => JSON.stringify((await get('statefulset', 'visits')).metadata) },
    async () => {
      const sts = await get('statefulset', 'visits');
      return sts.metadata.generation >= generation + 2 && sts.spec.replicas === 3 ? true : undefined;
    },
  );
  await waitFor(
    'Argo CD to put 3 replicas back',
    { timeoutMs: 120_000, describe: async () => JSON.stringify((await get('statefulset', 'visits')).spec.replicas) },
    () => readyReplicas(3),
  );
  await waitSyncedHealthy('visits');
});

test('3 -> 4 through git adds replica visits-3 with its own claim', async () => {
  await editOverlay(4, true);
  const commit = await checkout().commitAndPush('dev: 4 replicas, and a ConfigMap to prune later');
  await waitSyncedHealthy('visits', commit);
  await waitFor('4 ready replicas', 120_000, () => readyReplicas(4));
  const pvc = await get('pvc', 'data-visits-3');
  expect(pvc.status.phase).toBe('Bound');
  expect((await get('configmap', PROBE)).data).toEqual({ purpose: 'prune test' });
});

test('4 -> 3 through git: prune deletes the ConfigMap, never the claim data-visits-3', async () => {
  const claimsBefore = (await list('pvc', 'visits')).map((p) => `${p.metadata.name} ${p.metadata.uid}`).sort();
  await editOverlay(undefined, false);
  const commit = await checkout().commitAndPush('dev: back to 3 replicas, ConfigMap removed');
  await waitSyncedHealthy('visits', commit);
  await waitFor('3 ready replicas', 120_000, () => readyReplicas(3));
  await waitFor(`ConfigMap ${PROBE} pruned`, 60_000, async () =>
    (await kubectlResult(['-n', 'visits', 'get', 'configmap', PROBE])).code !== 0 ? true : undefined,
  );
  const claimsAfter = (await list('pvc', 'visits')).map((p) => `${p.metadata.name} ${p.metadata.uid}`).sort();
  expect(claimsAfter).toEqual(claimsBefore);
  expect(claimsAfter.map((c) => c.split(' ')[0])).toContain('data-visits-3');
  expect((await get('pvc', 'data-visits-3')).status.phase).toBe('Bound');
});
