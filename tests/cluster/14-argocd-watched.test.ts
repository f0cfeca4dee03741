/**
 * Argo CD watched, and its project holding, on the real Argo CD: a Prometheus scrapes the
 * application controller's metrics with the alerts generated for the chart (monitoring/src/argocd.ts,
 * as kube-prometheus-stack's values carry them), and a commit that puts Namespaces into apps/ (one
 * adopting `monitoring`, one relabelling `visits` privileged) is refused by the visits project:
 * nothing in the cluster changes, and ArgoCdAppSyncFailing fires for visits.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { activeAlerts, instantQuery, startPrometheus, type PrometheusServer } from '../monitoring/support/prometheus-server';
import { ruleFileText, stackValues } from '../monitoring/support/rendered-monitoring';
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
    rulesText: ruleFileText(stackValues('dev').additionalPrometheusRulesMap.argocd.groups),
    // What the chart's ServiceMonitor for argocd-metrics makes of the controller: job and namespace.
    scrapeConfigs: [{ job_name: 'argocd-metrics', static_configs: [{ targets: [env.ARGOCD_METRICS!], labels: { namespace: 'argocd' } }] }],
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A namespace as the cluster has it (labels), or NotFound: what must not change. */
async function namespaceState(name: string): Promise<string> {
  const result = await kubectlResult(['get', 'namespace', name, '-o', 'jsonpath={.metadata.labels}']);
  return result.code === 0 ? result.stdout : result.stderr.includes('NotFound') ? 'NotFound' : `error: ${result.stderr}`;
}

async function commitNamespaces(): Promise<string> {
  await writeFile(
    checkout().path(NAMESPACES),
    [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata:',
      '  name: monitoring',
      '---',
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
  return checkout().commitAndPush('dev: Namespaces that apps/ must never create');
}

/** Takes the Namespaces out again, ends the refused sync's retries as a person would, and waits for visits. */
async function revertNamespaces(): Promise<void> {
  await checkout().git('rm', '--quiet', NAMESPACES);
  const doc = parseDocument(await readFile(checkout().path(OVERLAY), 'utf8'));
  const resources = (doc.get('resources') as { items: Obj[] }).items;
  doc.deleteIn(['resources', resources.findIndex((r) => String(r.value ?? r) === 'namespaces.yaml')]);
  await writeFile(checkout().path(OVERLAY), doc.toString());
  const reverted = await checkout().commitAndPush('dev: remove the Namespaces');
  await waitFor(`the fix ${reverted.slice(0, 12)} to be compared`, 60_000, async () =>
    (await application('visits')).status?.sync?.revision === reverted ? true : undefined,
  );
  if ((await application('visits')).status?.operationState?.phase === 'Running') {
    await (await ArgoApi.login()).call('DELETE', '/api/v1/applications/visits/operation');
  }
  await waitSyncedHealthy('visits', reverted);
}

test('Namespaces committed into apps/ are refused by the project, nothing changes, and ArgoCdAppSyncFailing fires', async () => {
  await waitFor('the application controller scraped', 60_000, async () =>
    (await instantQuery(prometheus!, 'up{job="argocd-metrics"} == 1')).length === 1 ? true : undefined,
  );
  const before = { visits: await namespaceState('visits'), monitoring: await namespaceState('monitoring') };
  expect(before.visits).toContain('"pod-security.kubernetes.io/enforce":"restricted"');

  const commit = await commitNamespaces();
  try {
    const refused = await waitFor(
      `Argo CD to refuse the Namespaces of ${commit.slice(0, 12)}`,
      { timeoutMs: 120_000, describe: () => describeApp('visits') },
      async () => {
        const text = await describeApp('visits');
        return /Namespace[^"]* is not permitted in project visits/.test(text) ? text : undefined;
      },
    );
    console.log(`Argo CD on the Namespaces: ${refused}`);

    const alert = await waitFor(
      'ArgoCdAppSyncFailing firing for visits',
      { timeoutMs: 180_000, describe: async () => JSON.stringify(await activeAlerts(prometheus!), null, 1) },
      async () =>
        (await activeAlerts(prometheus!)).find(
          (a) => a.labels.alertname === 'ArgoCdAppSyncFailing' && a.labels.name === 'visits' && a.state === 'firing',
        ),
    );
    expect(alert.labels).toMatchObject({ severity: 'warning', app: 'argocd', namespace: 'argocd', project: 'visits' });
    expect(alert.annotations.runbook_url).toMatch(/docs\/runbooks\.md#argocdappsyncfailing$/);

    // Nothing was applied: the whole sync was refused before any object reached the API server.
    expect({ visits: await namespaceState('visits'), monitoring: await namespaceState('monitoring') }).toEqual(before);
  } finally {
    await revertNamespaces();
  }
});
