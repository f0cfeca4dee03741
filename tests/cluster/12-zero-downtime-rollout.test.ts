/**
 * Zero-downtime rollout: while clients send visits through the `visits` Service without pause
 * (kube-proxy's ClusterIP, keep-alive connections, as an ingress would), a digest bump is pushed
 * to git; Argo CD syncs and the StatefulSet controller replaces every pod. Every request must be
 * answered, and the pods' files must hold exactly the visits that were acknowledged.
 */
import { errnoCode } from '../support/errno';
import {
  countOnDisk,
  get,
  list,
  requireRealNodes,
  useCheckout,
  useCluster,
  waitRolledTo,
  waitSyncedHealthy,
  type Obj,
} from './support/cluster';

useCluster();
const checkout = useCheckout();
beforeAll(requireRealNodes);

const PODS = ['visits-0', 'visits-1', 'visits-2'];
const CLIENTS = 4;
const sumOnDisk = async (): Promise<number> => (await Promise.all(PODS.map(countOnDisk))).reduce((a, b) => a + b, 0);

interface Tally {
  acknowledged: number;
  failed: number;
  failures: string[];
  byPod: Map<string, number>;
}

/** CLIENTS loops of GET / against URL until `stop` is set; each answer is counted, none retried. */
function load(url: string, stop: { now: boolean }): { tally: Tally; done: Promise<void> } {
  const tally: Tally = { acknowledged: 0, failed: 0, failures: [], byPod: new Map() };
  const client = async () => {
    while (!stop.now) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = (await response.json()) as { visits?: number; pod?: string };
        if (response.status === 200 && typeof body.visits === 'number' && body.pod) {
          tally.acknowledged++;
          tally.byPod.set(body.pod, (tally.byPod.get(body.pod) ?? 0) + 1);
        } else {
          tally.failed++;
          tally.failures.push(`HTTP ${response.status} ${JSON.stringify(body)}`);
        }
      } catch (error) {
        tally.failed++;
        tally.failures.push(`${(error as Error).name}: ${errnoCode(error) ?? (error as Error).message}`);
      }
    }
  };
  return { tally, done: Promise.all(Array.from({ length: CLIENTS }, client)).then(() => undefined) };
}

test('a pushed digest bump rolls every pod with no failed request and no acknowledged visit lost', async () => {
  const service = await get('service', 'visits');
  const url = `http://${service.spec.clusterIP}:${service.spec.ports[0].port}/`;
  const before = await sumOnDisk();
  const digest = await checkout().otherDigest();
  const oldPods = new Map(
    (await list('pods', 'visits', 'app.kubernetes.io/name=visits')).map((p: Obj) => [p.metadata.name, p.metadata.uid]),
  );

  const stop = { now: false };
  const { tally, done } = load(url, stop);
  let rolloutMs = 0;
  try {
    await new Promise((r) => setTimeout(r, 2000)); // traffic flowing before the push
    await checkout().node('scripts/image-digest.mjs', 'set', 'apps/visits/envs/dev', digest);
    const pushedAt = Date.now();
    const commit = await checkout().commitAndPush(`deploy(dev): ${digest} under load`);
    await waitRolledTo(digest, 240_000, oldPods);
    rolloutMs = Date.now() - pushedAt;
    await waitSyncedHealthy('visits', commit);
    await new Promise((r) => setTimeout(r, 3000)); // and traffic after it, on the new pods only
  } finally {
    stop.now = true;
    await done;
  }

  const after = await sumOnDisk();
  console.log(
    `rollout under load: git push -> all pods replaced ${(rolloutMs / 1000).toFixed(1)} s; ` +
      `${tally.acknowledged} visits acknowledged (${[...tally.byPod].map(([p, n]) => `${p} ${n}`).join(', ')}), ` +
      `${tally.failed} failed${tally.failures.length ? `: ${[...new Set(tally.failures)].slice(0, 5).join('; ')}` : ''}; ` +
      `on disk +${after - before}`,
  );
  expect(tally.acknowledged).toBeGreaterThan(100);
  expect(tally.failures).toEqual([]);
  // Nothing acknowledged is lost, and nothing is counted that was not acknowledged.
  expect(after - before).toBe(tally.acknowledged);
});
