import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries, loadDashboard, type Dashboard } from './support/dashboard';
import { prometheusTools } from './support/prometheus-tools';
import { promtool, writeRules } from './support/promtool';
import { findOne, renderOverlay, type RuleGroup } from './support/rendered-monitoring';

/**
 * The Grafana dashboard as shipped: the ConfigMap Grafana's sidecar picks up, its variables, its
 * panels, and every query parsed by promtool. That each query returns data from real series is
 * proven in prometheus-e2e.test.ts.
 */
jest.setTimeout(120_000);

// Panel ids are how Grafana links, embeds and remembers panels: they never change or get reused.
const STABLE_PANELS: Record<number, RegExp> = {
  1: /^Visits per pod$/,
  2: /^Total visits$/,
  3: /^Targets up$/,
  4: /^Error budget remaining/,
  5: /^Version$/,
  6: /^Request rate by status$/,
  7: /^Latency p50 \/ p95 \/ p99/,
  8: /^Persist failures/,
  9: /^Persist duration/,
  10: /^Data volume used per PVC$/,
  11: /^Replicas ready vs desired$/,
  12: /^Restarts/,
  13: /^Visits alerts$/,
};

let dir: string;
let dashboard: Dashboard;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-dashboard-'));
  dashboard = loadDashboard();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every object anywhere in the JSON, to find datasource references wherever they hide. */
function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    visit(value as Record<string, unknown>);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}

/** Dashboard queries as recording rules: `promtool check rules` then parses every one of them. */
function asRuleGroups(d: Dashboard): RuleGroup[] {
  return [
    {
      name: 'dashboard-queries',
      rules: dashboardQueries(d).map((q) => ({ record: `dashboard:panel_${q.panelId}_${q.refId}`, expr: q.expr })),
    },
  ];
}

describe('the Grafana dashboard', () => {
  it('ships as the ConfigMap visits-dashboard labelled grafana_dashboard: "1", the same JSON as the file in the repo', () => {
    const configMap = findOne(renderOverlay('dev'), 'ConfigMap', 'visits-dashboard');
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    const data = configMap.data as Record<string, string>;
    expect(JSON.parse(data['visits.json']!)).toEqual(dashboard);
  });

  it('has a datasource variable and a namespace variable, and no hard-coded datasource uid', () => {
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const namespace = variables.find((v) => v.name === 'namespace');
    expect(namespace).toMatchObject({ type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' } });
    const refs: unknown[] = [];
    walk(dashboard, (node) => {
      if ('datasource' in node && node.datasource && typeof node.datasource === 'object') refs.push(node.datasource);
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(ref).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('keeps its panel ids stable and unique, with every panel the issue asks for', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [id, title] of Object.entries(STABLE_PANELS)) {
      expect(dashboard.panels.find((p) => p.id === Number(id))?.title).toMatch(title);
    }
  });

  it('says a panel is about one HTTP method only when its every query selects that method', () => {
    for (const panel of dashboard.panels) {
      const method = /\b(GET|POST|PUT|DELETE)\b/.exec(panel.title ?? '')?.[1];
      if (!method) continue;
      for (const target of panel.targets ?? []) {
        const where = `panel ${panel.id} (${panel.title}): ${target.expr}`;
        expect({ where, selects: target.expr?.includes(`method="${method}"`) }).toEqual({ where, selects: true });
      }
    }
  });

  it('filters its alert list to this application’s alerts in the selected namespace', () => {
    const list = dashboard.panels.find((p) => p.type === 'alertlist');
    expect(list?.options).toMatchObject({ alertName: 'Visits', alertInstanceLabelFilter: '{namespace="$namespace"}' });
  });

  it('scopes every query to the selected namespace', () => {
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) expect(target.expr).toContain('namespace="$namespace"');
    }
  });

  it('has queries promtool parses, and promtool rejects a broken one', async () => {
    prometheusTools();
    await writeRules(dir, asRuleGroups(dashboard));
    const good = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(good.output).toContain('SUCCESS');
    expect(good.code).toBe(0);

    const broken = structuredClone(dashboard);
    broken.panels.find((p) => p.id === 7)!.targets![0]!.expr =
      'histogram_quantile(0.5, sum by (le) (visits:http_request_duration_seconds_bucket:rate5m{namespace="$namespace"})';
    const mutantDir = await mkdtemp(join(dir, 'broken-'));
    await writeRules(mutantDir, asRuleGroups(broken));
    const bad = await promtool(['check', 'rules', 'rules.yaml'], mutantDir);
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain('dashboard:panel_7_A');
  });
});
