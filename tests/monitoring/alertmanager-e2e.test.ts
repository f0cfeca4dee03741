/**
 * Alert delivery end to end: a real Prometheus evaluates the project's rules and sends what fires
 * to a real Alertmanager running the routing committed in clusters/base/kube-prometheus-stack.yaml,
 * as clusters/dev renders it; the receivers are webhooks on loopback, their URLs read from files
 * as the cluster reads them from the Secret alertmanager-receivers. Shown: critical alerts page,
 * grouped by alert and namespace, with labels and runbook_url; a warning about a pod whose
 * critical alert fires is inhibited; a silence holds; an ordinary warning reaches chat; Watchdog
 * reaches the dead man's switch.
 *
 * Alertmanager 0.31.0 is built from its module (tools/alertmanager): Debian's 0.25 rejects
 * `url_file`. Only durations are changed for the test: every `for` of the rules becomes 0s and the
 * routes' group_wait/group_interval a second or two, so it runs in seconds; the matchers, grouping,
 * inhibition and receivers are the committed ones.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { collectOutput, stopChild } from '../support/child-process';
import { freePort } from '../support/service-process';
import { startPrometheus, type PrometheusServer } from './support/prometheus-server';
import { waitFor } from '../support/wait-for';
import { REPO_ROOT } from '../support/repo-root';
import { CLUSTERS, renderOverlay, ruleFileText, ruleGroupsOf, stackValues, type RuleGroup } from './support/rendered-monitoring';

jest.setTimeout(120_000);

const SECRETS = '/etc/alertmanager/secrets/alertmanager-receivers/';
const RUNBOOK = 'https://github.com/example/visits/blob/main/docs/runbooks.md#';

interface Notification {
  receiver: string;
  status: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

let dir: string;
let webhook: Server;
const received: { path: string; body: Notification }[] = [];
let alertmanager: ChildProcess | undefined;
let alertmanagerUrl: string;
let amOutput: () => string;
let exporter: Server;
let prometheus: PrometheusServer | undefined;

/** The committed Alertmanager configuration, receivers pointed at `secretsDir`, durations shortened. */
async function committedConfig(secretsDir: string): Promise<Record<string, unknown>> {
  const config = stackValues('dev').alertmanager.config;
  const text = stringify(config).replaceAll(SECRETS, `${secretsDir}/`);
  const shortened = parse(text);
  const shorten = (route: Record<string, unknown>) => {
    if (route.group_wait) route.group_wait = '1s';
    if (route.group_interval) route.group_interval = '2s';
    if (route.repeat_interval === '1m') route.repeat_interval = '2s'; // the dead man's switch
    for (const child of (route.routes ?? []) as Record<string, unknown>[]) shorten(child);
  };
  shorten(shortened.route);
  return shortened;
}

/** The project's rules with every `for` at 0s, and kube-prometheus-stack's Watchdog. */
function rules(): RuleGroup[] {
  const groups = ruleGroupsOf(renderOverlay('dev'));
  for (const group of groups) for (const rule of group.rules) if (rule.for) rule.for = '0s';
  groups.push({
    name: 'general.rules',
    rules: [{ alert: 'Watchdog', expr: 'vector(1)', labels: { severity: 'none' }, annotations: { summary: 'always firing' } }],
  });
  return groups;
}

/** kube-state-metrics' restart counter for three pods, rising by 2 at every scrape. */
function startExporter(port: number): Promise<Server> {
  let restarts = 0;
  const server = createServer((_req, res) => {
    restarts += 2;
    res.setHeader('Content-Type', 'text/plain; version=0.0.4');
    res.end(
      ['visits-0', 'visits-2', 'visits-3']
        .map((pod) => `kube_pod_container_status_restarts_total{namespace="visits",pod="${pod}",container="visits"} ${restarts}`)
        .join('\n') + '\n',
    );
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function amApi<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const notified = (receiver: string) => received.filter((r) => r.body.receiver === receiver).map((r) => r.body);
const podsIn = (notifications: Notification[], alertname: string) =>
  new Set(notifications.flatMap((n) => n.alerts.filter((a) => a.labels.alertname === alertname).map((a) => a.labels.pod)));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-alertmanager-'));
  const bin = execFileSync('bash', [join(REPO_ROOT, 'tools/build.sh'), 'alertmanager'], { encoding: 'utf8', timeout: 900_000 }).trim();

  const webhookPort = await freePort();
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) as Notification });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => webhook.listen(webhookPort, '127.0.0.1', () => r()));
  for (const name of ['pager', 'chat', 'deadmans-switch'])
    await writeFile(join(dir, `${name}-url`), `http://127.0.0.1:${webhookPort}/${name}\n`);

  const configFile = join(dir, 'alertmanager.yml');
  await writeFile(configFile, stringify(await committedConfig(dir)));
  execFileSync(join(bin, 'amtool'), ['check-config', configFile], { encoding: 'utf8' });

  const amPort = await freePort();
  alertmanagerUrl = `http://127.0.0.1:${amPort}`;
  alertmanager = spawn(
    join(bin, 'alertmanager'),
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  amOutput = collectOutput(alertmanager);
  await waitFor('alertmanager ready', 30_000, async () => {
    if (alertmanager!.exitCode !== null) throw new Error(`alertmanager exited:\n${amOutput()}`);
    return (await fetch(`${alertmanagerUrl}/-/ready`).catch(() => undefined))?.status === 200;
  });

  // Silenced before anything fires: the restarts of visits-2.
  await amApi('silences', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      matchers: [
        { name: 'alertname', value: 'VisitsPodRestarting', isRegex: false, isEqual: true },
        { name: 'pod', value: 'visits-2', isRegex: false, isEqual: true },
      ],
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'alertmanager-e2e',
      comment: 'maintenance of visits-2',
    }),
  });

  const exporterPort = await freePort();
  exporter = await startExporter(exporterPort);
  const dead = [await freePort(), await freePort()]; // nothing listens: both replicas are down
  prometheus = await startPrometheus({
    dir,
    rulesText: ruleFileText(rules()),
    alertmanagers: [`127.0.0.1:${amPort}`],
    scrapeConfigs: [
      {
        job_name: 'visits',
        static_configs: dead.map((port, i) => ({ targets: [`127.0.0.1:${port}`], labels: { namespace: 'visits', pod: `visits-${i}` } })),
      },
      { job_name: 'kube-state-metrics', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] },
    ],
  });
}, 900_000);

afterAll(async () => {
  await prometheus?.stop();
  await stopChild(alertmanager);
  for (const server of [webhook, exporter]) if (server) await new Promise((r) => server.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('critical alerts page, one notification per alert and namespace, with their labels and runbook', async () => {
  await waitFor('a page naming both down replicas', 60_000, async () => podsIn(notified('pager'), 'VisitsTargetDown').size === 2);
  const pages = notified('pager');
  for (const page of pages) expect(page.groupLabels).toEqual({ alertname: 'VisitsTargetDown', namespace: 'visits' });
  const alerts = pages.flatMap((p) => p.alerts);
  for (const alert of alerts) {
    expect(alert.labels).toMatchObject({ alertname: 'VisitsTargetDown', severity: 'critical', namespace: 'visits', job: 'visits' });
    expect(alert.annotations.runbook_url).toBe(`${RUNBOOK}visitstargetdown`);
  }
  // Grouped: both pods arrive together in one notification once the group has formed.
  expect(pages.some((p) => p.alerts.length === 2)).toBe(true);
  expect(received.filter((r) => r.body.receiver === 'pager').every((r) => r.path === '/pager')).toBe(true);
});

test('warnings: inhibited while the pod has a critical alert, held by a silence, delivered otherwise', async () => {
  await waitFor('the restart warning for visits-3 in chat', 60_000, async () =>
    podsIn(notified('chat'), 'VisitsPodRestarting').has('visits-3'),
  );
  interface AmAlert {
    labels: Record<string, string>;
    status: { state: string; inhibitedBy: string[]; silencedBy: string[] };
  }
  const active = await amApi<AmAlert[]>('alerts?active=true&silenced=true&inhibited=true');
  const restarting = (pod: string) => active.find((a) => a.labels.alertname === 'VisitsPodRestarting' && a.labels.pod === pod);
  expect(restarting('visits-0')?.status).toMatchObject({ state: 'suppressed', inhibitedBy: [expect.any(String)] });
  expect(restarting('visits-2')?.status).toMatchObject({ state: 'suppressed', silencedBy: [expect.any(String)] });
  expect(restarting('visits-3')?.status.state).toBe('active');

  await new Promise((r) => setTimeout(r, 5000)); // two more group intervals: still nothing for 0 and 2
  expect([...podsIn(notified('chat'), 'VisitsPodRestarting')]).toEqual(['visits-3']);
  const warning = notified('chat')
    .flatMap((n) => n.alerts)
    .find((a) => a.labels.pod === 'visits-3')!;
  expect(warning.labels).toMatchObject({ severity: 'warning', namespace: 'visits' });
  expect(warning.annotations.runbook_url).toBe(`${RUNBOOK}visitspodrestarting`);
});

test("Watchdog reaches the dead man's switch, again and again, and nothing else", async () => {
  await waitFor('two Watchdog notifications', 30_000, async () => notified('deadmans-switch').length >= 2);
  expect(notified('deadmans-switch').every((n) => n.alerts.every((a) => a.labels.alertname === 'Watchdog'))).toBe(true);
  for (const receiver of ['pager', 'chat'])
    expect(notified(receiver).flatMap((n) => n.alerts.map((a) => a.labels.alertname))).not.toContain('Watchdog');
});

describe.each(CLUSTERS)('clusters/%s: where alerts go is not in git, and Grafana sees the Alertmanager', (cluster) => {
  let values: ReturnType<typeof stackValues>;
  beforeAll(() => {
    values = stackValues(cluster);
  });

  test('every receiver reads its address from the Secret alertmanager-receivers, mounted by the operator', () => {
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(['alertmanager-receivers']);
    const configs = values.alertmanager.config.receivers.flatMap(
      (r: { webhook_configs?: Record<string, unknown>[] }) => r.webhook_configs ?? [],
    );
    expect(configs.length).toBeGreaterThanOrEqual(3);
    for (const config of configs) {
      expect(config.url).toBeUndefined();
      expect(String(config.url_file)).toMatch(new RegExp(`^${SECRETS}[a-z-]+-url$`));
    }
  });

  test("Grafana's Alertmanager data source is provisioned beside Prometheus", () => {
    expect(values.grafana.sidecar.datasources.alertmanager).toMatchObject({
      enabled: true,
      uid: 'alertmanager',
      implementation: 'prometheus',
    });
  });
});
