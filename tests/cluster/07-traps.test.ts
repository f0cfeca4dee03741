/**
 * The traps of a stateful app under Argo CD, sprung on the real API server and the real Argo CD:
 * a volumeClaimTemplates change is forbidden, and the runbook's procedure gets it through; the
 * visits AppProject refuses cluster-scoped RBAC committed into apps/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { waitFor } from '../support/wait-for';
import {
  application,
  ArgoApi,
  describeApp,
  get,
  kubectl,
  kubectlResult,
  list,
  waitSyncedHealthy,
  type Obj,
  useCluster,
  useCheckout,
} from './support/cluster';

const OVERLAY = 'apps/visits/envs/dev/kustomization.yaml';

useCluster();
const checkout = useCheckout();

/** Sets the data claim template's size in the dev overlay, with a patch as a person writes it. */
async function setTemplateStorage(size: string | undefined): Promise<void> {
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  const patches = (doc.get('patches') as { items: Obj[] }).items;
  const index = patches.findIndex((p) => String(p.get('patch')).includes('resources/requests/storage'));
  if (index >= 0) doc.deleteIn(['patches', index]);
  if (size) {
    doc.addIn(['patches'], {
      target: { kind: 'StatefulSet', name: 'visits' },
      patch: `- op: replace\n  path: /spec/volumeClaimTemplates/0/spec/resources/requests/storage\n  value: ${size}\n`,
    });
  }
  await writeFile(checkout().path(OVERLAY), doc.toString());
}

/**
 * Waits until Argo CD has compared `commit` and met the API server's Forbidden answer; returns
 * what the Application shows. With server-side diff (ServerSideDiff=true) the refusal comes
 * from the diff's dry-run apply: the comparison fails (sync status Unknown, a ComparisonError),
 * so no sync is even attempted. Argo CD may reuse a cached diff and show Synced instead (seen
 * here right after the StatefulSet was recreated); a hard refresh, the UI's "Hard Refresh",
 * makes it compare for real, so this asks for one while the refusal is not shown.
 */
async function refusedAt(commit: string): Promise<string> {
  let lastHardRefresh = 0;
  return waitFor(
    `Argo CD to compare ${commit.slice(0, 12)} and meet the API server's refusal`,
    { timeoutMs: 120_000, describe: () => describeApp('visits') },
    async () => {
      const app = await application('visits');
      const text = await describeApp('visits');
      if (app.status?.sync?.revision !== commit) return undefined;
      if (/updates to statefulset spec for fields other than/.test(text)) return text;
      if (Date.now() - lastHardRefresh > 10_000) {
        lastHardRefresh = Date.now();
        await kubectl(['-n', 'argocd', 'annotate', 'application', 'visits', 'argocd.argoproj.io/refresh=hard', '--overwrite']);
      }
      return undefined;
    },
  );
}

describe('a larger volume for the replicas', () => {
  test('the API server forbids changing volumeClaimTemplates, and says which fields it allows', async () => {
    const result = await kubectlResult([
      '-n',
      'visits',
      'patch',
      'statefulset',
      'visits',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/volumeClaimTemplates/0/spec/resources/requests/storage","value":"256Mi"}]',
    ]);
    console.log(`kubectl patch of the claim template answered: ${result.stderr.trim()}`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Forbidden: updates to statefulset spec for fields other than/);
  });

  test("the runbook's procedure: push the new size, orphan-delete the StatefulSet, Argo CD recreates it", async () => {
    const podsBefore = Object.fromEntries(
      (await list('pods', 'visits', 'app.kubernetes.io/name=visits')).map((p) => [p.metadata.name, p.metadata.uid]),
    );
    const claimsBefore = (await list('pvc', 'visits')).map((p) => `${p.metadata.name} ${p.metadata.uid}`).sort();

    // 1. Expand each claim where the class allows it. Here it does not (hostPath cannot grow):
    //    the API server refuses, and nothing changes.
    const expand = await kubectlResult([
      '-n',
      'visits',
      'patch',
      'pvc',
      'data-visits-0',
      '-p',
      '{"spec":{"resources":{"requests":{"storage":"256Mi"}}}}',
    ]);
    expect(expand.code).not.toBe(0);
    expect(expand.stderr).toMatch(
      /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/,
    );

    // 2. Commit the new template size. Argo CD cannot apply it: the API server forbids it.
    await setTemplateStorage('256Mi');
    const commit = await checkout().commitAndPush('dev: 256Mi claims for new replicas');
    const shown = await refusedAt(commit);
    console.log(`visits after the push of a larger claim template:\n${shown}`);
    expect(shown).toMatch(/ComparisonError|Forbidden/);

    // 3. Delete the StatefulSet but not its pods; Argo CD (selfHeal) creates it again from git.
    await kubectl(['-n', 'visits', 'delete', 'statefulset', 'visits', '--cascade=orphan', '--wait=true']);
    await waitSyncedHealthy('visits', commit);
    const sts = await get('statefulset', 'visits');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('256Mi');
    await waitFor('3 ready replicas', 120_000, async () =>
      (await get('statefulset', 'visits')).status.readyReplicas === 3 ? true : undefined,
    );

    // The pods were adopted, not replaced, and every claim is the one it was.
    const podsAfter = Object.fromEntries(
      (await list('pods', 'visits', 'app.kubernetes.io/name=visits')).map((p) => [p.metadata.name, p.metadata.uid]),
    );
    expect(podsAfter).toEqual(podsBefore);
    expect((await list('pvc', 'visits')).map((p) => `${p.metadata.name} ${p.metadata.uid}`).sort()).toEqual(claimsBefore);

    // Back to the template in main, the same way, so later tests see the cluster as it was.
    await setTemplateStorage(undefined);
    const back = await checkout().commitAndPush('dev: claims back to the base size');
    await refusedAt(back);
    await kubectl(['-n', 'visits', 'delete', 'statefulset', 'visits', '--cascade=orphan', '--wait=true']);
    await waitSyncedHealthy('visits', back);
    expect((await get('statefulset', 'visits')).spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('128Mi');
  });
});

test('the visits AppProject refuses a ClusterRoleBinding committed into apps/', async () => {
  await writeFile(
    checkout().path('apps/visits/envs/dev/clusterrolebinding.yaml'),
    [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRoleBinding',
      'metadata:',
      '  name: visits-escalation',
      'roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }',
      'subjects: [{ kind: ServiceAccount, name: visits, namespace: visits }]',
      '',
    ].join('\n'),
  );
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  doc.addIn(['resources'], 'clusterrolebinding.yaml');
  await writeFile(checkout().path(OVERLAY), doc.toString());
  await checkout().git('add', '-A');
  const commit = await checkout().commitAndPush('dev: a ClusterRoleBinding that must never be applied');

  const shown = await waitFor(
    `Argo CD to refuse the ClusterRoleBinding of ${commit.slice(0, 12)}`,
    { timeoutMs: 120_000, describe: () => describeApp('visits') },
    async () => {
      const text = await describeApp('visits');
      return /ClusterRoleBinding.*not permitted in project|not permitted in project.*ClusterRoleBinding/s.test(text) ? text : undefined;
    },
  );
  console.log(`Argo CD on the ClusterRoleBinding: ${shown}`);
  expect((await kubectlResult(['get', 'clusterrolebinding', 'visits-escalation'])).stderr).toMatch(/NotFound/);

  await checkout().git('rm', '--quiet', 'apps/visits/envs/dev/clusterrolebinding.yaml');
  const cleaned = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  const resources = (cleaned.get('resources') as { items: Obj[] }).items;
  cleaned.deleteIn(['resources', resources.findIndex((r) => String(r.value ?? r) === 'clusterrolebinding.yaml')]);
  await writeFile(checkout().path(OVERLAY), cleaned.toString());
  const reverted = await checkout().commitAndPush('dev: remove the ClusterRoleBinding');
  // The refused sync keeps retrying its own revision (retry: 10 times, up to 5 min apart), even
  // after the fix is pushed; a person presses Terminate in the UI, which is this call.
  const api = await ArgoApi.login();
  await waitFor(`the fix ${reverted.slice(0, 12)} to be compared`, 60_000, async () =>
    (await application('visits')).status?.sync?.revision === reverted ? true : undefined,
  );
  if ((await application('visits')).status?.operationState?.phase === 'Running') {
    await api.call('DELETE', '/api/v1/applications/visits/operation');
  }
  await waitSyncedHealthy('visits', reverted);
});
