/**
 * Sync order on a fresh cluster, observed rather than hoped for: the visits Application while
 * the monitoring CRDs (ServiceMonitor, PrometheusRule) do not exist, and after they appear. On a
 * real cluster kube-prometheus-stack brings them; its chart cannot be fetched here, so the
 * local cluster applies the same CRDs from the prometheus-operator module, and this test takes
 * them away and gives them back. docs/deploy.md describes what this test shows.
 */
import { REPO_ROOT } from '../support/repo-root';
import { runOrThrow } from '../support/run-command';
import { waitFor } from '../support/wait-for';
import { application, describeApp, get, kubectl, kubectlResult, waitSyncedHealthy, useCluster } from './support/cluster';

const CRDS = ['servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com'];

/** The CRDs as the local cluster applies them: from the pinned prometheus-operator module. */
async function applyCrds(): Promise<void> {
  const dir = await runOrThrow(
    'bash',
    [`${REPO_ROOT}/tools/build.sh`, '--dir', 'prometheus-operator', 'github.com/prometheus-operator/prometheus-operator'],
    { timeoutMs: 900_000 }, // a cold module download; cached after the first run
  );
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${dir.trim()}/example/prometheus-operator-crd`]);
  await waitFor('the CRDs to be Established', 60_000, async () => {
    const conditions = await Promise.all(CRDS.map(async (c) => (await get('crd', c, '')).status?.conditions ?? []));
    return conditions.every((cs) => cs.some((x: { type: string; status: string }) => x.type === 'Established' && x.status === 'True'))
      ? true
      : undefined;
  });
}

useCluster();

afterAll(async () => {
  // Whatever happened above, leave the CRDs in place for anyone using the cluster after us.
  await applyCrds();
});

test('without the monitoring CRDs the app is not Synced, its workload keeps running, and the missing kinds are named', async () => {
  await kubectl(['delete', 'crd', ...CRDS, '--wait=true']);
  const shown = await waitFor(
    'Argo CD to show the ServiceMonitor and PrometheusRule it cannot apply',
    { timeoutMs: 120_000, describe: () => describeApp('visits') },
    async () => {
      const app = await application('visits');
      const text = await describeApp('visits');
      return app.status?.sync?.status !== 'Synced' && /ServiceMonitor/.test(text) && /PrometheusRule/.test(text) ? text : undefined;
    },
  );
  console.log(`visits without the monitoring CRDs:\n${shown}`);
  const sts = await get('statefulset', 'visits');
  expect(sts.status.readyReplicas).toBe(3);
  expect((await application('visits')).status.health.status).toBe('Healthy');
});

test('once the CRDs exist, the next sync applies ServiceMonitor and PrometheusRule and the app is Synced and Healthy', async () => {
  const appeared = Date.now();
  await applyCrds();
  // Argo CD's next attempt comes by retry or self-heal backoff, up to 5 minutes apart.
  const bound = 420_000;
  await waitFor(
    'the ServiceMonitor and PrometheusRule to be applied again',
    { timeoutMs: bound, describe: () => describeApp('visits') },
    async () => {
      const sm = await kubectlResult(['-n', 'visits', 'get', 'servicemonitor', 'visits']);
      const pr = await kubectlResult(['-n', 'visits', 'get', 'prometheusrule', '-o', 'name']);
      return sm.code === 0 && pr.stdout.trim() ? true : undefined;
    },
  );
  await waitSyncedHealthy('visits', undefined, bound);
  console.log(`visits Synced and Healthy ${((Date.now() - appeared) / 1000).toFixed(1)} s after the CRDs appeared`);
});
