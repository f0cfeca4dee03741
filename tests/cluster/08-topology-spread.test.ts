/**
 * The prod overlay's topology spread (DoNotSchedule, one replica per node at most one apart) on
 * the real scheduler, with a node tainted like a control-plane node and one worker cordoned, as
 * during a drain. A tainted node counts as a spread domain unless the constraint says
 * `nodeTaintsPolicy: Honor`; it then holds zero replicas for ever, and the skew check keeps a
 * replica Pending although two workers have room.
 */
import { join } from 'node:path';
import { kustomize } from '../support/kustomize';
import { REPO_ROOT } from '../support/repo-root';
import { waitFor } from '../support/wait-for';
import { clusterUp, kubectl, kubectlResult, list, useCluster, workersByZone, type Obj } from './support/cluster';

const NAMESPACE = 'spread-test';

useCluster();

/** The worker cordoned as during a drain: the one in zone-c (worker-c here). */
let cordoned: string | undefined;

afterAll(async () => {
  if (cordoned) await kubectlResult(['uncordon', cordoned]);
  await kubectlResult(['delete', 'namespace', NAMESPACE, '--wait=false']);
});

/** The prod StatefulSet as kustomize renders it, made runnable here: no volumes, a scratch namespace. */
async function prodStatefulSet(): Promise<Obj> {
  const env = await clusterUp();
  const sts = (await kustomize(join(REPO_ROOT, 'apps/visits/envs/prod'), { env })).find((o) => o.kind === 'StatefulSet')!;
  // Real nodes run the image this checkout built (prod's pin names a registry unreachable here).
  if (env.VISITS_IMAGE_DIGEST) {
    for (const c of sts.spec.template.spec.containers) c.image = `${c.image.split('@')[0]}@${env.VISITS_IMAGE_DIGEST}`;
  }
  delete sts.spec.volumeClaimTemplates;
  for (const c of sts.spec.template.spec.containers) delete c.volumeMounts;
  sts.metadata = { name: sts.metadata.name, namespace: NAMESPACE };
  return sts;
}

test('with a tainted node and a worker cordoned, all three prod replicas schedule on the two others', async () => {
  const sts = await prodStatefulSet();
  const spread = sts.spec.template.spec.topologySpreadConstraints;
  expect(spread).toEqual([expect.objectContaining({ whenUnsatisfiable: 'DoNotSchedule', topologyKey: 'kubernetes.io/hostname' })]);

  const workers = await workersByZone();
  cordoned = workers['zone-c'];
  await kubectl(['cordon', cordoned]);
  await kubectl(['create', 'namespace', NAMESPACE]);
  await kubectl(['-n', NAMESPACE, 'create', 'serviceaccount', sts.spec.template.spec.serviceAccountName]);
  await kubectl(['apply', '-f', '-'], JSON.stringify(sts));

  const pods = await waitFor(
    'three Running replicas',
    {
      timeoutMs: 60_000,
      describe: async () =>
        (await list('pods', NAMESPACE))
          .map(
            (p) =>
              `${p.metadata.name} ${p.status.phase} ${p.spec.nodeName ?? ''} ${p.status.conditions?.find((c: Obj) => c.type === 'PodScheduled')?.message ?? ''}`,
          )
          .join('\n'),
    },
    async () => {
      const current = await list('pods', NAMESPACE);
      return current.length === 3 && current.every((p) => p.status.phase === 'Running') ? current : undefined;
    },
  );
  const nodes = pods.map((p) => p.spec.nodeName).sort();
  expect(nodes.every((n) => n === workers['zone-a'] || n === workers['zone-b'])).toBe(true);
  expect(new Set(nodes).size).toBe(2);
});
