import { chmod, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '../support/service-process';
import { dashboardQueries, loadDashboard, namespaceVariableSelector, type Dashboard, type DashboardQuery } from './support/dashboard';
import { startKubeStandIn, type KubeStandIn } from './support/kube-stand-in';
import { prometheusTools } from './support/prometheus-tools';
import {
  activeAlerts,
  api,
  instantQuery,
  startPrometheus,
  type ActiveAlert,
  type PrometheusServer,
  type ScrapeConfig,
} from './support/prometheus-server';
import { renderOverlay, ruleFileText, ruleGroupsOf } from './support/rendered-monitoring';
import { waitFor } from '../support/wait-for';

/**
 * End to end against a real Prometheus: three real replicas of the built service on loopback,
 * each with its own data directory, scraped every second by a real `prometheus` that has the
 * rules of the rendered PrometheusRule loaded. Target labels are set as the ServiceMonitor gives
 * them in the cluster (job = Service name, namespace, pod, service, endpoint, container), so the
 * rules' selectors match as they would there. kube-state-metrics and kubelet series come from
 * ./support/kube-stand-in.ts, the one part that stands in for Kubernetes.
 */
const NAMESPACE = 'visits';
const REPLICAS = 3;
const FAULTY = 'visits-1';
// Running as root, chmod alone would not stop the writes: run the replicas as nobody instead.
const RUN_AS = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

jest.setTimeout(600_000);

let workDir: string;
const replicas: (ServiceProcess & { pod: string })[] = [];
let standIn: KubeStandIn | undefined;
let prometheus: PrometheusServer | undefined;
let dashboard: Dashboard;
let traffic: { stop(): Promise<void>; statuses: Map<string, Map<number, number>> } | undefined;

/** Steady traffic on every replica (visits and reads), as users would send it, until stopped. */
function driveTraffic(targets: { pod: string; url: string }[]) {
  const statuses = new Map<string, Map<number, number>>(targets.map((t) => [t.pod, new Map()]));
  let running = true;
  const loops = targets.map(async (target) => {
    let n = 0;
    while (running) {
      const path = n++ % 4 === 3 ? '/visits' : '/';
      try {
        const response = await fetch(`${target.url}${path}`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        const seen = statuses.get(target.pod)!;
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
      } catch {
        // a refused or timed-out request is visible in the metrics; keep going
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Queries that return no series (or an error) right now: the dashboard's "No data" panels. */
async function emptyQueries(server: PrometheusServer, queries: DashboardQuery[]): Promise<string[]> {
  const empty: string[] = [];
  for (const q of queries) {
    try {
      const result = await instantQuery(server, q.expr);
      if (result.length === 0) empty.push(`panel ${q.panelId} "${q.title}" ${q.refId}: no data for ${q.expr}`);
    } catch (err) {
      empty.push(`panel ${q.panelId} "${q.title}" ${q.refId}: ${String(err)}`);
    }
  }
  return empty;
}

const visitsAlerts = async (server: PrometheusServer): Promise<ActiveAlert[]> =>
  (await activeAlerts(server)).filter((a) => a.labels.alertname?.startsWith('Visits'));

beforeAll(async () => {
  prometheusTools(); // one line saying what to install when promtool/prometheus are missing
  workDir = await mkdtemp(join(tmpdir(), 'visits-prom-e2e-'));
  const rulesText = ruleFileText(ruleGroupsOf(renderOverlay('dev')));
  dashboard = loadDashboard();

  if (RUN_AS.uid !== undefined) await chmod(workDir, 0o755); // nobody must reach its data directory
  for (let i = 0; i < REPLICAS; i++) {
    const pod = `visits-${i}`;
    const dataDir = join(workDir, `data-${pod}`);
    await mkdir(dataDir);
    if (RUN_AS.uid !== undefined) await chown(dataDir, RUN_AS.uid, RUN_AS.gid!);
    const service = await startService({ dataDir, env: { POD_NAME: pod }, ...RUN_AS });
    replicas.push(Object.assign(service, { pod }));
  }
  standIn = await startKubeStandIn(
    NAMESPACE,
    replicas.map((r) => ({ pod: r.pod, monitorUrl: r.monitorUrl, dataDir: r.dataDir })),
  );

  const promDir = join(workDir, 'prometheus');
  await mkdir(promDir);
  const scrapeConfigs: ScrapeConfig[] = [
    {
      // In the cluster the ServiceMonitor makes job = the Service's name ("visits").
      job_name: 'visits',
      static_configs: replicas.map((r) => ({
        targets: [`${r.host}:${r.monitorPort}`],
        labels: { namespace: NAMESPACE, pod: r.pod, service: 'visits', endpoint: 'monitor', container: 'visits' },
      })),
    },
    {
      job_name: 'kube-state-metrics',
      metrics_path: '/kube-state-metrics',
      honor_labels: true,
      static_configs: [{ targets: [`127.0.0.1:${standIn.port}`] }],
    },
    { job_name: 'kubelet', metrics_path: '/kubelet', honor_labels: true, static_configs: [{ targets: [`127.0.0.1:${standIn.port}`] }] },
  ];
  prometheus = await startPrometheus({ dir: promDir, rulesText, scrapeConfigs });
  traffic = driveTraffic(replicas);
});

afterAll(async () => {
  // Everything this suite started, even when a test or beforeAll failed half-way.
  await traffic?.stop().catch(() => undefined);
  await prometheus?.stop().catch(() => undefined);
  await standIn?.close().catch(() => undefined);
  await Promise.all(replicas.map((r) => r.cleanup().catch(() => undefined)));
  if (workDir) {
    await chmod(workDir, 0o700).catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  }
});

describe('a real Prometheus scraping three real replicas with the shipped rules', () => {
  it('scrapes every replica and both stand-in endpoints', async () => {
    await waitFor('every target up', 60_000, async () => {
      const { activeTargets } = await api<{ activeTargets: { labels: Record<string, string>; health: string }[] }>(prometheus!, 'targets', {
        state: 'active',
      });
      return activeTargets.length === REPLICAS + 2 && activeTargets.every((t) => t.health === 'up');
    });
    const up = await instantQuery(prometheus!, 'up{job="visits", namespace="visits"} == 1');
    expect(up.map((s) => s.metric.pod).sort()).toEqual(['visits-0', 'visits-1', 'visits-2']);
  });

  it('evaluates every rule without an error', async () => {
    type Groups = { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    await waitFor('every rule evaluated', 30_000, async () => {
      const { groups } = await api<Groups>(prometheus!, 'rules');
      return groups.length === 4 && groups.every((g) => g.rules.every((r) => r.health !== 'unknown'));
    });
    const { groups } = await api<Groups>(prometheus!, 'rules');
    const unhealthy = groups.flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`));
    expect(unhealthy).toEqual([]);
  });

  it('answers every dashboard query with data, and the namespace variable lists the namespace', async () => {
    const queries = dashboardQueries(dashboard, NAMESPACE);
    expect(queries.length).toBeGreaterThanOrEqual(15);
    let empty: string[] = [];
    await waitFor('every dashboard query to return data', 90_000, async () => {
      empty = await emptyQueries(prometheus!, queries);
      return empty.length === 0;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${empty.join('\n')}`);
    });
    const namespaces = await api<string[]>(prometheus!, 'label/namespace/values', { 'match[]': namespaceVariableSelector(dashboard) });
    expect(namespaces).toEqual([NAMESPACE]);
  });

  it('reports a broken dashboard query (the check above can fail)', async () => {
    const broken = structuredClone(dashboard);
    const panel = broken.panels.find((p) => p.id === 1)!;
    panel.targets![0]!.expr = panel.targets![0]!.expr!.replace('visits:persisted:max_by_pod', 'visits:persisted:max_by_pods');
    const syntax = broken.panels.find((p) => p.id === 6)!;
    syntax.targets![0]!.expr = syntax.targets![0]!.expr!.replace('sum by', 'sum bye');
    const empty = await emptyQueries(prometheus!, dashboardQueries(broken, NAMESPACE));
    expect(empty).toHaveLength(2);
    expect(empty[0]).toMatch(/^panel 1 .*no data/);
    expect(empty[1]).toMatch(/^panel 6 .*(parse error|bad_data|Error)/i);
  });

  it('shows the real counts: the dashboard total equals the sum of the replicas’ data files', async () => {
    await traffic!.stop();
    await new Promise((r) => setTimeout(r, 2500)); // two scrapes and a rule evaluation after the last visit
    const onDisk = await Promise.all(replicas.map(async (r) => Number((await readFile(join(r.dataDir, 'visits'), 'utf8')).trim())));
    const [total] = await instantQuery(prometheus!, 'sum(visits:persisted:max_by_pod{namespace="visits"})');
    expect(Number(total!.value[1])).toBe(onDisk.reduce((a, b) => a + b, 0));
    expect(onDisk.every((n) => n > 0)).toBe(true);
    traffic = driveTraffic(replicas);
  });

  it('raises no Visits alert while everything is healthy', async () => {
    // Polled, because on a loaded machine one slow scrape can make VisitsTargetDown pending for a
    // second (as it would in the cluster: that is what its `for` absorbs); it must clear by itself.
    let active: ActiveAlert[] = [];
    await waitFor('no Visits alert to be active', 20_000, async () => {
      active = await visitsAlerts(prometheus!);
      return active.length === 0;
    }).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(active.map((a) => a.labels))}`);
    });
  });

  it('fires VisitsPersistFailing when a data directory stops taking writes, and resolves it once healed', async () => {
    const faulty = replicas.find((r) => r.pod === FAULTY)!;
    const started = Date.now();
    await chmod(faulty.dataDir, 0o555); // the replica (not root) can no longer create .visits.tmp
    let firing: ActiveAlert | undefined;
    try {
      await waitFor('VisitsPersistFailing to fire', 210_000, async () => {
        firing = (await visitsAlerts(prometheus!)).find((a) => a.labels.alertname === 'VisitsPersistFailing' && a.state === 'firing');
        return firing !== undefined;
      });
    } finally {
      await chmod(faulty.dataDir, 0o755); // heal, whatever happened above
    }
    const firedAfter = Date.now() - started;
    expect(firing!.labels).toEqual({
      alertname: 'VisitsPersistFailing',
      namespace: 'visits',
      pod: FAULTY,
      reason: 'EACCES',
      severity: 'critical',
      app: 'visits',
    });
    expect(firing!.annotations.description).toMatch(/^Pod visits\/visits-1 failed \d+ durable writes with EACCES in the last 5 minutes/);
    expect(firing!.annotations.runbook_url).toBe('https://github.com/example/visits/blob/main/docs/runbooks.md#visitspersistfailing');
    expect(traffic!.statuses.get(FAULTY)!.get(503) ?? 0).toBeGreaterThan(0);
    // Only the faulty replica: the others kept persisting.
    const failing = await instantQuery(prometheus!, 'visits:persist_failures:increase5m{namespace="visits"} > 0');
    expect(failing.map((s) => s.metric.pod)).toEqual([FAULTY]);

    const healed = Date.now();
    await waitFor('VisitsPersistFailing to resolve', 210_000, async () => {
      const alerts = await visitsAlerts(prometheus!);
      return !alerts.some((a) => a.labels.alertname === 'VisitsPersistFailing');
    });
    const resolvedAfter = Date.now() - healed;
    const res = await fetch(`${faulty.url}/`);
    expect(res.status).toBe(200);
    console.log(
      `VisitsPersistFailing fired ${Math.round(firedAfter / 1000)} s after the fault, resolved ${Math.round(resolvedAfter / 1000)} s after healing`,
    );
  });

  it('marks a replica that stops answering as down at once (VisitsTargetDown pending, readiness short)', async () => {
    const victim = replicas.find((r) => r.pod === 'visits-2')!;
    await victim.stop('SIGKILL');
    let pending: ActiveAlert[] = [];
    await waitFor('VisitsTargetDown and VisitsReplicasNotReady to be pending for visits-2', 30_000, async () => {
      pending = await visitsAlerts(prometheus!);
      return ['VisitsTargetDown', 'VisitsReplicasNotReady'].every((name) => pending.some((a) => a.labels.alertname === name));
    });
    const down = pending.find((a) => a.labels.alertname === 'VisitsTargetDown')!;
    expect(down.state).toBe('pending'); // for: 3m, so a blip never pages
    expect(down.labels).toMatchObject({ job: 'visits', namespace: 'visits', pod: 'visits-2', severity: 'critical' });
    expect(down.annotations.description).toContain('visits-2 in namespace visits');
  });
});
