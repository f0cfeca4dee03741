/**
 * A real Prometheus watches the real pods as kube-prometheus-stack would: it finds them through
 * kubernetes_sd_configs against the local API server, relabelled as prometheus-operator
 * turns the shipped ServiceMonitor into a scrape job; kube-state-metrics (from its pinned module)
 * and the real kubelets feed the series the rules read. Everything runs the project's own rules.
 *
 * Prometheus 3.16 is built from its pinned module (tools/prometheus): Debian's prometheus 2.42 has
 * no Kubernetes service discovery (`field kubernetes_sd_configs not found in type
 * config.ScrapeConfig`), as its client libraries are not packaged.
 * kube-prometheus-stack itself cannot be fetched here (no chart registry); its two sources of
 * cluster series are run as host processes instead, and the ServiceMonitor-to-job translation
 * below is the operator's, written out for the one endpoint the ServiceMonitor has.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from '../support/child-process';
import { freePort } from '../support/service-process';
import {
  activeAlerts,
  instantQuery,
  startPrometheus,
  type PrometheusServer,
  type ScrapeConfig,
} from '../monitoring/support/prometheus-server';
import { findOne, renderOverlay, ruleFileText, ruleGroupsOf, type KubeObject } from '../monitoring/support/rendered-monitoring';
import { waitFor } from '../support/wait-for';
import { apiAccess, clusterUp, get, kubectl, requireRealNodes, useCluster } from './support/cluster';

useCluster();

/** The API server and the admin's credentials, from the kubeconfig (service discovery and the kubelets). */
let api: Awaited<ReturnType<typeof apiAccess>>;

let dir: string;
let ksm: ChildProcess | undefined;
let prometheus: PrometheusServer | undefined;

/** The scrape job prometheus-operator generates for one ServiceMonitor endpoint (role endpointslice). */
function serviceMonitorJob(monitor: KubeObject): ScrapeConfig {
  const spec = monitor.spec as {
    selector: { matchLabels: Record<string, string> };
    endpoints: { port: string; path: string; interval: string }[];
  };
  const [endpoint] = spec.endpoints;
  const label = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');
  return {
    job_name: `serviceMonitor/${monitor.metadata.namespace}/${monitor.metadata.name}/0`,
    metrics_path: endpoint.path,
    kubernetes_sd_configs: [
      { role: 'endpointslice', api_server: api.server, tls_config: api.tls, namespaces: { names: [monitor.metadata.namespace] } },
    ],
    relabel_configs: [
      ...Object.entries(spec.selector.matchLabels).map(([name, value]) => ({
        action: 'keep',
        source_labels: [`__meta_kubernetes_service_label_${label(name)}`, `__meta_kubernetes_service_labelpresent_${label(name)}`],
        regex: `(${value});true`,
      })),
      { action: 'keep', source_labels: ['__meta_kubernetes_endpointslice_port_name'], regex: endpoint.port },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job' },
      { target_label: 'endpoint', replacement: endpoint.port },
    ],
  };
}

beforeAll(async () => {
  requireRealNodes();
  const env = await clusterUp();
  api = await apiAccess();
  dir = await mkdtemp(join(tmpdir(), 'visits-cluster-prometheus-'));
  const ksmPort = await freePort('127.0.0.1');
  ksm = spawn(
    join(env.VISITS_TOOLS_BIN!, 'kube-state-metrics'),
    [
      `--kubeconfig=${env.KUBECONFIG}`,
      '--host=127.0.0.1',
      `--port=${ksmPort}`,
      '--telemetry-host=127.0.0.1',
      `--telemetry-port=${await freePort('127.0.0.1')}`,
      '--resources=statefulsets,pods,persistentvolumeclaims',
      '--namespaces=visits',
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const objects = renderOverlay('dev');
  prometheus = await startPrometheus({
    dir,
    binary: join(env.VISITS_TOOLS_BIN!, 'prometheus'),
    intervalSeconds: 2,
    rulesText: ruleFileText(ruleGroupsOf(objects)),
    scrapeConfigs: [
      serviceMonitorJob(findOne(objects, 'ServiceMonitor', 'visits')),
      // As kube-prometheus-stack scrapes them: kube-state-metrics keeps its own labels, the kubelets over TLS.
      { job_name: 'kube-state-metrics', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${ksmPort}`] }] },
      {
        job_name: 'kubelet',
        scheme: 'https',
        tls_config: api.tls,
        kubernetes_sd_configs: [{ role: 'node', api_server: api.server, tls_config: api.tls }],
      },
    ],
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await stopChild(ksm);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const value = async (expr: string): Promise<number[]> => (await instantQuery(prometheus!, expr)).map((s) => Number(s.value[1]));

test('the ServiceMonitor job finds exactly the three pods, once each, with the labels the rules select on', async () => {
  const targets = await waitFor(
    'three visits targets up',
    { timeoutMs: 60_000, describe: async () => JSON.stringify(await instantQuery(prometheus!, 'up'), null, 1) },
    async () => {
      const up = await instantQuery(prometheus!, 'up{job="visits"} == 1');
      return up.length === 3 ? up : undefined;
    },
  );
  expect(
    targets.map((t) => `${t.metric.namespace}/${t.metric.pod} ${t.metric.service} ${t.metric.container} ${t.metric.endpoint}`).sort(),
  ).toEqual(['visits-0', 'visits-1', 'visits-2'].map((p) => `visits/${p} visits visits monitor`));
  // Each pod's own IP: the headless Service is not selected, so nothing is scraped twice.
  for (const t of targets) expect(t.metric.instance).toBe(`${(await get('pod', t.metric.pod)).status.podIP}:8081`);
});

test('deleting a pod shows in the replica series as the rules read them, and its count comes back', async () => {
  await waitFor('3 of 3 replicas ready in the rules', 60_000, async () =>
    (await value('visits:statefulset_replicas_ready'))[0] === 3 ? true : undefined,
  );
  expect(await value('visits:statefulset_replicas_desired')).toEqual([3]);
  const persisted = async () => (await value('visits:persisted:max_by_pod{pod="visits-0"}'))[0];
  const before = await waitFor('visits-0 persisted count scraped', 30_000, async () => persisted());

  await kubectl(['-n', 'visits', 'delete', 'pod', 'visits-0', '--wait=false']);
  await waitFor('the rules to see a replica missing', 60_000, async () =>
    (await value('visits:statefulset_replicas_ready'))[0] < 3 ? true : undefined,
  );
  await waitFor('3 of 3 ready again', 120_000, async () =>
    (await value('visits:statefulset_replicas_ready'))[0] === 3 ? true : undefined,
  );
  await waitFor('the new visits-0 scraped', 60_000, async () =>
    (await value('up{job="visits", pod="visits-0"} == 1')).length === 1 ? true : undefined,
  );
  // The recording rule catches up with the new pod's first scrape within an evaluation or two.
  await waitFor(
    `visits-0 persisted count back at ${before}`,
    { timeoutMs: 30_000, describe: async () => `visits:persisted:max_by_pod{pod="visits-0"} = ${await persisted()}` },
    async () => ((await persisted()) === before ? true : undefined),
  );
  // The count did not go backwards, so that alert stays silent.
  expect((await activeAlerts(prometheus!)).map((a) => a.labels.alertname)).not.toContain('VisitsCountWentBackwards');
});

test('the kubelets publish no volume statistics for hostPath volumes: VisitsVolumeStatsMissing says so', async () => {
  await waitFor('the kubelets scraped', 60_000, async () => ((await value('up{job="kubelet"} == 1')).length === 4 ? true : undefined));
  const pending = await waitFor('VisitsVolumeStatsMissing pending for the three claims', 60_000, async () => {
    const alerts = (await activeAlerts(prometheus!)).filter((a) => a.labels.alertname === 'VisitsVolumeStatsMissing');
    return alerts.length >= 3 ? alerts : undefined;
  });
  expect(pending.map((a) => a.labels.persistentvolumeclaim)).toEqual(
    expect.arrayContaining(['data-visits-0', 'data-visits-1', 'data-visits-2']),
  );
  expect(await value('count(kubelet_volume_stats_capacity_bytes{namespace="visits"})')).toEqual([]);
});
