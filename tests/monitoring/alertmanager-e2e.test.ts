/**
 * Every row of the routing table (monitoring/src/routing.ts) end to end: a real Prometheus
 * evaluates the project's rules as rendered and sends what fires to a real Alertmanager running
 * the configuration committed in clusters/base/kube-prometheus-stack.yaml (as clusters/prod
 * renders it); its receivers are loopback servers speaking PagerDuty's Events API, Slack's
 * incoming webhook and a plain webhook, their keys and URLs read from files as the cluster reads
 * them from the Secret alertmanager-receivers.
 *
 * The visits and Argo CD alerts fire for real, from series a local exporter serves the way the
 * service, kube-state-metrics, the kubelet and Argo CD's controller would (a down target, a namespace with no target, a full
 * volume, burning budgets, restarts…). The chart's alerts and the dev cluster's, which need a
 * cluster, fire from stand-in rules with the labels the chart's rules give them. Each row must
 * arrive at its receiver once, with its runbook; each inhibition mutes what it should and nothing
 * else; a silence holds; Watchdog keeps reaching the dead man's switch.
 *
 * Only durations differ from the cluster: two seconds of `for` per minute (at most 20 s), group_wait 1s,
 * group_interval 2s.
 * Alertmanager 0.31.0 is built from its module (tools/alertmanager).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_KEYS } from '../../monitoring/src/alertmanager-config';
import { loadConfig } from '../../monitoring/src/config';
import { routingTable, type Row } from '../../monitoring/src/routing';
import { freePort } from '../support/service-process';
import { REPO_ROOT } from '../support/repo-root';
import { waitFor } from '../support/wait-for';
import { amApi, committedConfig, silence, startAlertmanager, writeConfig, type AlertmanagerProcess } from './support/alertmanager';
import { startPrometheus, type PrometheusServer } from './support/prometheus-server';
import { renderOverlay, ruleFileText, ruleGroupsOf, stackValues, type RuleGroup } from './support/rendered-monitoring';

jest.setTimeout(180_000);

const ROWS = routingTable(loadConfig(REPO_ROOT).runbookBaseUrl);
const NS = 'visits-prod';
/** Where the scenario makes a visits alert fire when not in visits-prod. */
const FIRES_IN: Record<string, string> = {
  VisitsTargetsAbsent: 'visits-qa', // a StatefulSet that wants replicas and has no target
  VisitsAvailabilityBudgetBurnSlow: 'visits-staging', // slow burns alone; in visits-prod the fast ones mute them
  VisitsLatencyBudgetBurnSlow: 'visits-staging',
};

/** What must be muted, and by which inhibition, in this scenario; every other active alert is not. */
const INHIBITED: Record<string, string>[] = [
  { alertname: 'VisitsPodRestarting', pod: 'visits-0' }, // by VisitsTargetDown
  { alertname: 'VisitsShedding', pod: 'visits-1' }, // by VisitsPersistFailing
  { alertname: 'VisitsDataVolumeFillingUp', persistentvolumeclaim: 'data-visits-1' }, // by VisitsDataVolumeAlmostFull
  { alertname: 'VisitsAvailabilityBudgetBurnSlow', namespace: NS }, // by the fast burn
  { alertname: 'VisitsLatencyBudgetBurnSlow', namespace: NS },
  { alertname: 'CPUThrottlingHigh', namespace: 'shop' }, // the chart's InfoInhibitor, kept
];
const SILENCED = { alertname: 'VisitsPodRestarting', pod: 'visits-2' };

/** One notification, whatever the receiver's format. */
interface Delivery {
  receiver: string;
  status: string;
  alertname: string;
  cluster: string;
  namespace: string;
  runbook: string;
  /** The descriptions of the alerts it carries (they name the pod or volume). */
  text: string;
}

const deliveries: Delivery[] = [];
let dir: string;
let receiver: Server;
let exporter: Server;
let alertmanager: AlertmanagerProcess | undefined;
let prometheus: PrometheusServer | undefined;

// "[FIRING] VisitsTargetDown (prod/visits-prod)", the title both receivers get (alertmanager-config.ts).
const TITLE = /^\[(\w+)\] (\w+) \(([^/]*)\/([^)]*)\)$/;
function fromTitle(receiverName: string, title: string, runbook: string, text: string): Delivery {
  const [, status = '', alertname = '', cluster = '', namespace = ''] = TITLE.exec(title) ?? [];
  return { receiver: receiverName, status: status.toLowerCase(), alertname, cluster, namespace, runbook, text };
}

/** PagerDuty Events API v2, Slack's incoming webhook, and the dead man's switch's plain webhook, on one port. */
// Request bodies are the services' JSON: read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function delivery(path: string, body: any): Delivery {
  if (path === '/pagerduty') {
    const details = body.payload.custom_details;
    return fromTitle('pager', body.payload.summary, body.links?.[0]?.href ?? '', details.alerts ?? '');
  }
  if (path === '/slack')
    return fromTitle('chat', body.attachments[0].title, body.attachments[0].title_link ?? '', body.attachments[0].text ?? '');
  return {
    receiver: 'deadmans-switch',
    status: body.status,
    alertname: body.commonLabels.alertname,
    cluster: body.commonLabels.cluster ?? '',
    namespace: body.commonLabels.namespace ?? '',
    runbook: body.commonAnnotations.runbook_url ?? '',
    text: '',
  };
}

/** The series of the visits pods, kube-state-metrics and the kubelet, changing at every scrape. */
function startExporter(port: number): Promise<Server> {
  const scrapes: Record<string, number> = {};
  const line = (name: string, labels: Record<string, string>, value: number) =>
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',')}} ${value}`;
  const requests = (pod: Record<string, string>, n: number, errorShare: number, slowShare: number) => {
    const total = 1000 * n;
    const base = { ...pod, method: 'GET', route: '/' };
    return [
      line('http_request_duration_seconds_count', { ...base, status_code: '200' }, total * (1 - errorShare)),
      line('http_request_duration_seconds_count', { ...base, status_code: '503' }, total * errorShare),
      line('http_request_duration_seconds_bucket', { ...base, status_code: '200', le: '0.1' }, total * (1 - errorShare) * (1 - slowShare)),
      line('http_request_duration_seconds_bucket', { ...base, status_code: '503', le: '0.1' }, total * errorShare * (1 - slowShare)),
    ];
  };
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const n = (scrapes[path] = (scrapes[path] ?? 0) + 1);
    const job = { job: 'visits', namespace: NS };
    const pod = (name: string) => ({ ...job, pod: name });
    const series: Record<string, string[]> = {
      '/visits-1': [
        line('visits_persist_failures_total', { ...pod('visits-1'), reason: 'EACCES' }, 5 * n),
        line('visits_refused_total', { ...pod('visits-1'), reason: 'queue_full' }, 3 * n),
      ],
      '/visits-4': [line('visits_refused_total', { ...pod('visits-4'), reason: 'count_limit' }, n)],
      '/visits-5': [line('visits_persisted', pod('visits-5'), n <= 3 ? 100 : 50)],
      '/visits-6': [
        line('visits_refused_total', { ...pod('visits-6'), reason: 'queue_full' }, 3 * n),
        ...requests(pod('visits-6'), n, 0.05, 0.2),
      ],
      '/staging': requests({ job: 'visits', namespace: 'visits-staging', pod: 'visits-0' }, n, 0.005, 0.05),
      // Argo CD's controller: visits's last sync failed, kube-prometheus-stack stays OutOfSync,
      // argocd-config is Degraded, root's sync keeps running.
      '/argocd': [
        ['visits', 'OutOfSync', 'Healthy', '', 'Failed'],
        ['kube-prometheus-stack', 'OutOfSync', 'Healthy', '', 'Succeeded'],
        ['argocd-config', 'Synced', 'Degraded', '', 'Succeeded'],
        ['root', 'Synced', 'Healthy', 'sync', 'Running'],
      ].map(([name, sync, health, operation, phase]) =>
        line(
          'argocd_app_info',
          {
            namespace: 'argocd',
            name: name!,
            project: 'p',
            sync_status: sync!,
            health_status: health!,
            operation: operation!,
            phase: phase!,
          },
          1,
        ),
      ),
      '/cluster': [
        ...['visits-0', 'visits-2', 'visits-3'].map((p) =>
          line(
            'kube_pod_container_status_restarts_total',
            { job: 'kube-state-metrics', namespace: NS, pod: p, container: 'visits' },
            2 * n,
          ),
        ),
        ...[NS, 'visits-qa'].map((ns) =>
          line('kube_statefulset_replicas', { job: 'kube-state-metrics', namespace: ns, statefulset: 'visits' }, 3),
        ),
        line('kube_statefulset_status_replicas_ready', { job: 'kube-state-metrics', namespace: NS, statefulset: 'visits' }, 2),
        line('kube_statefulset_status_replicas_updated', { job: 'kube-state-metrics', namespace: NS, statefulset: 'visits' }, 1),
        line(
          'kube_pod_spec_volumes_persistentvolumeclaims_info',
          { job: 'kube-state-metrics', namespace: NS, pod: 'visits-3', volume: 'data', persistentvolumeclaim: 'data-visits-3' },
          1,
        ),
        ...[
          ['data-visits-1', 9.9 - 0.01 * n], // almost full, and falling
          ['data-visits-2', 30 - 0.1 * n], // filling up
        ].flatMap(([pvc, available]) => [
          line('kubelet_volume_stats_capacity_bytes', { job: 'kubelet', namespace: NS, persistentvolumeclaim: pvc as string }, 100),
          line(
            'kubelet_volume_stats_available_bytes',
            { job: 'kubelet', namespace: NS, persistentvolumeclaim: pvc as string },
            available as number,
          ),
        ]),
      ],
    };
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(`${(series[path] ?? []).join('\n')}\n`);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * Two seconds for each minute of the cluster's `for` (at most 20 s): the alerts still fire in the
 * cluster's order, so a source of an inhibition is in Alertmanager before its target, as there, and
 * VisitsTargetsAbsent waits out Prometheus's first scrapes (with less it fired at start-up, alone).
 */
function scaled(duration: string): string {
  const unit: Record<string, number> = { s: 1 / 60, m: 1, h: 60 };
  const minutes = Number(duration.slice(0, -1)) * unit[duration.slice(-1)]!;
  return `${Math.min(Math.round(2 * minutes), 20)}s`;
}

/** The project's rules with their `for` scaled down, and stand-ins for the rows that need a cluster. */
function rules(): RuleGroup[] {
  const groups = [...ruleGroupsOf(renderOverlay('prod')), ...stackValues('prod').additionalPrometheusRulesMap.argocd.groups];
  for (const group of groups) for (const rule of group.rules) if (rule.for) rule.for = scaled(rule.for);
  const standIn = (row: Row, labels: Record<string, string> = {}) => ({
    alert: row.alert,
    expr: 'vector(1)',
    labels: { ...row.labels, ...labels },
    annotations: { summary: 'stand-in', runbook_url: row.runbook },
  });
  const chart = ROWS.filter((r) => r.from === 'kube-prometheus-stack' && r.cluster === 'prod');
  // The dev cluster's: a rule's own `cluster` label stands for dev's external label.
  const dev = ROWS.filter((r) => r.cluster === 'dev' && r.alert !== 'Watchdog');
  groups.push({
    name: 'stand-ins',
    rules: [...chart.map((r) => standIn(r)), ...dev.map((r) => standIn(r, { cluster: 'dev', pod: 'visits-0' }))],
  });
  return groups;
}

const key = (d: { alertname: string; cluster: string; namespace: string }) => `${d.alertname} ${d.cluster}/${d.namespace}`;
/** The rows this scenario delivers, with the cluster and namespace their notification names. */
const expected = ROWS.filter(
  // Not the muted ones (CPUThrottlingHigh, InfoInhibitor's null) nor Watchdog, which repeats (its own test).
  (r) => r.receiver !== 'null' && r.alert !== 'Watchdog' && r.alert !== 'CPUThrottlingHigh',
).map((row) => ({ row, alertname: row.alert, cluster: row.cluster, namespace: FIRES_IN[row.alert] ?? row.labels.namespace ?? '' }));
const firing = () => deliveries.filter((d) => d.status === 'firing');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-alertmanager-'));
  const receiverPort = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push(delivery(req.url ?? '', JSON.parse(body)));
      // As each service answers: anything else and Alertmanager retries, which would count twice.
      if (req.url === '/pagerduty') {
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end('{"status":"success","message":"Event processed"}');
      } else res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', () => r()));
  const local = `http://127.0.0.1:${receiverPort}`;
  await writeFile(join(dir, SECRET_KEYS.pager), 'a-routing-key\n');
  await writeFile(join(dir, SECRET_KEYS.chat), `${local}/slack\n`);
  await writeFile(join(dir, SECRET_KEYS.deadmansSwitch), `${local}/deadmans-switch\n`);

  // The committed configuration; only durations shortened, and PagerDuty's address on loopback.
  const config = committedConfig(dir, 'prod', (c) => {
    c.global.pagerduty_url = `${local}/pagerduty`;
    const shorten = (route: Record<string, unknown>) => {
      route.group_wait &&= '1s';
      route.group_interval &&= '2s';
      if (route.repeat_interval === '1m') route.repeat_interval = '2s'; // the dead man's switch
      for (const child of (route.routes ?? []) as Record<string, unknown>[]) shorten(child);
    };
    shorten(c.route);
  });
  alertmanager = await startAlertmanager(await writeConfig(join(dir, 'config'), config), join(dir, 'am'));
  await silence(alertmanager, SILENCED, 'maintenance of visits-2'); // before anything fires

  exporter = await startExporter(await freePort());
  const exporterAt = `127.0.0.1:${(exporter.address() as { port: number }).port}`;
  const pods = ['visits-1', 'visits-2', 'visits-3', 'visits-4', 'visits-5', 'visits-6'];
  prometheus = await startPrometheus({
    dir,
    rulesText: ruleFileText(rules()),
    alertmanagers: [new URL(alertmanager.url).host],
    externalLabels: stackValues('prod').prometheus.prometheusSpec.externalLabels,
    scrapeConfigs: [
      {
        job_name: 'visits',
        honor_labels: true,
        static_configs: [
          // visits-0 is down: nothing listens on its port.
          { targets: [`127.0.0.1:${await freePort()}`], labels: { namespace: NS, pod: 'visits-0' } },
          ...pods.map((pod) => ({ targets: [exporterAt], labels: { namespace: NS, pod, __metrics_path__: `/${pod}` } })),
          { targets: [exporterAt], labels: { namespace: 'visits-staging', pod: 'visits-0', __metrics_path__: '/staging' } },
        ],
      },
      { job_name: 'cluster', honor_labels: true, metrics_path: '/cluster', static_configs: [{ targets: [exporterAt] }] },
      { job_name: 'argocd-metrics', honor_labels: true, metrics_path: '/argocd', static_configs: [{ targets: [exporterAt] }] },
    ],
  });
}, 900_000);

afterAll(async () => {
  await prometheus?.stop();
  await alertmanager?.stop();
  for (const server of [receiver, exporter]) if (server) await new Promise((r) => server.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('every row arrives at its receiver, once, with its runbook', async () => {
  await waitFor(
    'every row delivered',
    {
      timeoutMs: 120_000,
      describe: async () =>
        `missing: ${expected
          .filter((e) => !firing().some((d) => d.receiver === e.row.receiver && key(d) === key(e)))
          .map((e) => `${key(e)} -> ${e.row.receiver}`)
          .join(', ')}; arrived: ${firing()
          .map((d) => `${key(d)} -> ${d.receiver}`)
          .join(', ')}`,
    },
    async () => expected.every((e) => firing().some((d) => d.receiver === e.row.receiver && key(d) === key(e))),
  );
  await new Promise((r) => setTimeout(r, 6000)); // three more group intervals: nothing repeats
  const got = firing().filter((d) => d.alertname !== 'Watchdog'); // repeats by design: its own test
  const at = (receiverName: string, e: { alertname: string; cluster: string; namespace: string }) =>
    got.filter((d) => d.receiver === receiverName && key(d) === key(e));
  const results = expected.map(({ row, ...e }) => {
    const mine = at(row.receiver, e);
    return { row: `${key(e)} -> ${row.receiver}`, notifications: mine.length, runbooks: [...new Set(mine.map((d) => d.runbook))] };
  });
  expect(results).toEqual(
    expected.map(({ row, ...e }) => ({ row: `${key(e)} -> ${row.receiver}`, notifications: 1, runbooks: [row.runbook] })),
  );
  // Nothing arrived that no row expects, at no receiver a row does not name.
  const unexpected = got.filter((d) => !expected.some((e) => e.row.receiver === d.receiver && key(e) === key(d)));
  expect(unexpected.map((d) => `${key(d)} -> ${d.receiver}`)).toEqual([]);
});

test('each inhibition mutes exactly what it should; a silence holds', async () => {
  interface AmAlert {
    labels: Record<string, string>;
    status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
  }
  const active = await amApi<AmAlert[]>(alertmanager!, 'alerts?active=true&silenced=true&inhibited=true');
  const matches = (alert: AmAlert, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => alert.labels[k] === v);
  for (const muted of INHIBITED) {
    const alert = active.find((a) => matches(a, muted));
    expect({ muted, inhibitedBy: alert?.status.inhibitedBy.length }).toEqual({ muted, inhibitedBy: 1 });
  }
  expect(active.find((a) => matches(a, SILENCED))?.status).toMatchObject({ state: 'suppressed', silencedBy: [expect.any(String)] });
  // Nothing else is muted: the namespace-wide criticals (fast burns) leave the StatefulSet's warnings alone.
  const others = active.filter(
    (a) => !INHIBITED.some((m) => matches(a, m)) && !matches(a, SILENCED) && a.labels.alertname !== 'InfoInhibitor',
  );
  expect(others.filter((a) => a.status.state !== 'active').map((a) => a.labels)).toEqual([]);
  // And no muted alert reached anyone: the descriptions that arrived never name them.
  const text = deliveries.map((d) => d.text).join('\n');
  expect(text).not.toMatch(
    /visits-prod\/visits-0 restarted|visits-prod\/visits-2 restarted|visits-prod\/visits-1 answered|data-visits-1 has [\d.]+% of its space left and/,
  );
  expect(firing().filter((d) => d.alertname === 'CPUThrottlingHigh')).toEqual([]);
});

test("Watchdog reaches the dead man's switch, again and again, and nothing else", async () => {
  await waitFor('two Watchdog notifications', 30_000, async () => deliveries.filter((d) => d.receiver === 'deadmans-switch').length >= 2);
  expect(deliveries.filter((d) => d.receiver === 'deadmans-switch').every((d) => d.alertname === 'Watchdog')).toBe(true);
  expect(deliveries.filter((d) => d.receiver !== 'deadmans-switch' && d.alertname === 'Watchdog')).toEqual([]);
});
