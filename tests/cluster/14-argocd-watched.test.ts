/**
 * Argo CD watched, and its project holding, on the real Argo CD: a Prometheus scrapes the
 * application controller's metrics with the alerts generated for the chart (monitoring/src/argocd.ts,
 * as kube-prometheus-stack's values carry them), and a commit that puts a Namespace into apps/ (the
 * visits namespace relabelled privileged, which would let a pod be root on its node) is refused
 * by the visits project: nothing in the cluster changes, ArgoCdAppSyncRetrying fires while Argo CD
 * retries, and ArgoCdAppSyncFailing once the operation is terminated as the runbook says.
 * (A Namespace of another name, `monitoring` say, comes out of the overlay's namespace transformer
 * named `visits` too; the project refuses the kind whatever the name: tests/manifests replays that
 * check for every name.)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import {
  activeAlerts,
  instantQuery,
  startPrometheus,
  type ActiveAlert,
  type PrometheusServer,
} from '../monitoring/support/prometheus-server';
import { ruleFileText, stackValues, type RuleGroup } from '../monitoring/support/rendered-monitoring';
import { waitFor } from '../support/wait-for';
import {
  application,
  ArgoApi,
  clusterUp,
  describeApp,
  kubectlResult,
  waitSyncedHealthy,
  useCheckout,
  useCluster,
  type Obj,
} from './support/cluster';

const OVERLAY = 'apps/visits/envs/dev/kustomization.yaml';
const NAMESPACES = 'apps/visits/envs/dev/namespaces.yaml';

useCluster();
const checkout = useCheckout();

let dir: string | undefined;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  const env = await clusterUp();
  dir = await mkdtemp(join(tmpdir(), 'visits-argocd-watched-'));
  prometheus = await startPrometheus({
    dir,
    binary: join(env.VISITS_TOOLS_BIN!, 'prometheus'),
    intervalSeconds: 2,
    rulesText: ruleFileText(shortened(stackValues('dev').additionalPrometheusRulesMap.argocd.groups)),
    // What the chart's ServiceMonitor for argocd-metrics makes of the controller: job and namespace.
    scrapeConfigs: [{ job_name: 'argocd-metrics', static_configs: [{ targets: [env.ARGOCD_METRICS!], labels: { namespace: 'argocd' } }] }],
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The rules as generated, only their `for` shortened to 20 s (ArgoCdAppSyncRetrying waits 10 minutes). */
function shortened(groups: RuleGroup[]): RuleGroup[] {
  return groups.map((g) => ({ ...g, rules: g.rules.map((r) => (r.for ? { ...r, for: '20s' } : r)) }));
}

/** The first firing alert of that name for the visits Application, once there is one. */
async function firingForVisits(alertname: string): Promise<ActiveAlert> {
  return waitFor(
    `${alertname} firing for visits`,
    { timeoutMs: 120_000, describe: async () => JSON.stringify(await activeAlerts(prometheus!), null, 1) },
    async () =>
      (await activeAlerts(prometheus!)).find((a) => a.labels.alertname === alertname && a.labels.name === 'visits' && a.state === 'firing'),
  );
}

/** A namespace as the cluster has it (labels), or NotFound: what must not change. */
async function namespaceState(name: string): Promise<string> {
  const result = await kubectlResult(['get', 'namespace', name, '-o', 'jsonpath={.metadata.labels}']);
  return result.code === 0 ? result.stdout : result.stderr.includes('NotFound') ? 'NotFound' : `error: ${result.stderr}`;
}

async function commitNamespace(): Promise<string> {
  await writeFile(
    checkout().path(NAMESPACES),
    [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata:',
      '  name: visits',
      '  labels: { pod-security.kubernetes.io/enforce: privileged }',
      '',
    ].join('\n'),
  );
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  doc.addIn(['resources'], 'namespaces.yaml');
  await writeFile(checkout().path(OVERLAY), doc.toString());
  await checkout().git('add', '-A');
  return checkout().commitAndPush('dev: the visits Namespace relabelled privileged, which apps/ must never create');
}

/** Takes the Namespace out again, ends the refused sync's retries as a person would, and waits for visits. */
async function revertNamespace(): Promise<void> {
  await checkout().git('rm', '--quiet', NAMESPACES);
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  const resources = (doc.get('resources') as { items: Obj[] }).items;
  doc.deleteIn(['resources', resources.findIndex((r) => String(r.value ?? r) === 'namespaces.yaml')]);
  await writeFile(checkout().path(OVERLAY), doc.toString());
  const reverted = await checkout().commitAndPush('dev: remove the Namespace');
  await waitFor(`the fix ${reverted.slice(0, 12)} to be compared`, 60_000, async () =>
    (await application('visits')).status?.sync?.revision === reverted ? true : undefined,
  );
  if ((await application('visits')).status?.operationState?.phase === 'Running') {
    await (await ArgoApi.login()).call('DELETE', '/api/v1/applications/visits/operation');
  }
  await waitSyncedHealthy('visits', reverted);
}

test('a Namespace committed into apps/ is refused by the project, nothing changes; ArgoCdAppSyncRetrying fires, then ArgoCdAppSyncFailing once terminated', async () => {
  await waitFor('the application controller scraped', 60_000, async () =>
    (await instantQuery(prometheus!, 'up{job="argocd-metrics"} == 1')).length === 1 ? true : undefined,
  );
  const before = { visits: await namespaceState('visits'), monitoring: await namespaceState('monitoring') };
  expect(before.visits).toContain('"pod-security.kubernetes.io/enforce":"restricted"');

  const commit = await commitNamespace();
  try {
    const refused = await waitFor(
      `Argo CD to refuse the Namespace of ${commit.slice(0, 12)}`,
      { timeoutMs: 120_000, describe: () => describeApp('visits') },
      async () => {
        const text = await describeApp('visits');
        return /Namespace[^"]* is not permitted in project visits/.test(text) ? text : undefined;
      },
    );
    console.log(`Argo CD on the Namespace: ${refused}`);

    // The refused sync retries (10 times, backing off to 5 minutes): the operation keeps running.
    const retrying = await firingForVisits('ArgoCdAppSyncRetrying');
    expect(retrying.labels).toMatchObject({ severity: 'warning', app: 'argocd', namespace: 'argocd', project: 'visits' });
    expect(retrying.annotations.runbook_url).toMatch(/docs\/runbooks\.md#argocdappsyncretrying$/);

    // The runbook's step: Terminate. The operation ends Failed, visits stays OutOfSync.
    await (await ArgoApi.login()).call('DELETE', '/api/v1/applications/visits/operation');
    const failing = await firingForVisits('ArgoCdAppSyncFailing');
    expect(failing.labels).toMatchObject({ severity: 'warning', app: 'argocd', namespace: 'argocd', project: 'visits', phase: 'Failed' });
    expect(failing.annotations.runbook_url).toMatch(/docs\/runbooks\.md#argocdappsyncfailing$/);

    // Nothing was applied: the whole sync was refused before any object reached the API server.
    expect({ visits: await namespaceState('visits'), monitoring: await namespaceState('monitoring') }).toEqual(before);
  } finally {
    await revertNamespace();
  }
});
