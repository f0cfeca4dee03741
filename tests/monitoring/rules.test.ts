import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusTools } from './support/prometheus-tools';
import { ALERT_TESTS_FILE, promtool, readAlertTests, testRules, writeRules, type AlertTestFile } from './support/promtool';
import { REPO_ROOT } from '../support/repo-root';
import { RUNBOOKS_FILE, alertsOf, findOne, renderOverlay, ruleGroupsOf, stackValues, type RuleGroup } from './support/rendered-monitoring';

/**
 * The alert rules proven with Prometheus's own tools, on the rule groups taken from the RENDERED
 * PrometheusRule (`kubectl kustomize apps/visits/envs/dev`), not from the source YAML.
 */
jest.setTimeout(300_000);

const RUNBOOK_BASE = 'https://github.com/example/visits/blob/main/docs/runbooks.md#';
// Raw series the rules read; each use must carry a selector naming this application.
const RAW_METRIC = /(?<![\w:])(up|http_request_duration_seconds_\w+|visits_[a-z_]+|kube_[a-z_]+|kubelet_[a-z_]+)\b(\s*\{([^}]*)\})?/g;
const NARROW_MATCHER = /job="visits"|statefulset="visits"|pod=~"visits-\[0-9\]\+"|persistentvolumeclaim=~"data-visits-\[0-9\]\+"/;

let dir: string;
let groups: RuleGroup[];
let alertTests: AlertTestFile;

beforeAll(async () => {
  prometheusTools(); // fails here, with one line, when promtool cannot be found or provisioned
  dir = await mkdtemp(join(tmpdir(), 'visits-rules-'));
  groups = ruleGroupsOf(renderOverlay('dev'));
  alertTests = readAlertTests(await readFile(ALERT_TESTS_FILE, 'utf8'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const copy = <T>(value: T): T => structuredClone(value);

describe('the rendered PrometheusRule', () => {
  it('is picked up by kube-prometheus-stack and is the same in every overlay', () => {
    const rule = findOne(renderOverlay('dev'), 'PrometheusRule');
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(ruleGroupsOf(renderOverlay('prod'))).toEqual(groups);
  });

  it('passes promtool check rules', async () => {
    await writeRules(dir, groups);
    const result = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code).toBe(0);
  });

  it('fails promtool check rules when an expression is broken (so the check above can fail)', async () => {
    const broken = copy(groups);
    broken[0]!.rules[0]!.expr = broken[0]!.rules[0]!.expr.replace('rate(', 'rate((');
    const mutantDir = await mkdtemp(join(dir, 'syntax-'));
    await writeRules(mutantDir, broken);
    const result = await promtool(['check', 'rules', 'rules.yaml'], mutantDir);
    expect(result.code).not.toBe(0);
  });

  it('names every alert Visits…, with severity, summary, a description naming what is affected, and a runbook section', async () => {
    const runbooks = await readFile(RUNBOOKS_FILE, 'utf8');
    const alerts = alertsOf(groups);
    expect(alerts.length).toBeGreaterThanOrEqual(13);
    for (const rule of alerts) {
      const name = rule.alert!;
      expect(name).toMatch(/^Visits[A-Z]\w+$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toMatch(/\{\{ \$labels\.(pod|persistentvolumeclaim|statefulset|namespace) \}\}/);
      // The label Alertmanager routes on, fixed in the rule, so no expression can drop it.
      expect(rule.labels?.app).toBe('visits');
      expect(rule.annotations?.runbook_url).toBe(`${RUNBOOK_BASE}${name.toLowerCase()}`);
      const section = runbooks.split(/^## /m).find((s) => s.startsWith(`${name}\n`));
      expect(section).toBeDefined();
      expect(section).toMatch(/```promql/);
      expect(section).toMatch(/kubectl /);
    }
  });

  it('selects only this application: every raw series carries job, StatefulSet, pod or PVC name and the namespace', () => {
    for (const rule of groups.flatMap((g) => g.rules)) {
      for (const match of rule.expr.matchAll(RAW_METRIC)) {
        const where = `${rule.alert ?? rule.record}: ${match[0]}`;
        expect({ where, hasSelector: match[3] !== undefined }).toEqual({ where, hasSelector: true });
        expect({ where, narrow: NARROW_MATCHER.test(match[3]!) }).toEqual({ where, narrow: true });
        expect({ where, namespaced: match[3]!.includes('namespace=~"visits(-[a-z0-9-]+)?"') }).toEqual({ where, namespaced: true });
      }
    }
  });
  it('uses the SLO targets written in docs/slos.md', async () => {
    const slos = await readFile(join(REPO_ROOT, 'docs/slos.md'), 'utf8');
    const all = groups.flatMap((g) => g.rules);
    for (const [slo, row] of [
      ['availability', /^\| availability \|.*\| \*\*([\d.]+) %\*\* \|/m],
      ['latency', /^\| latency \|.*\| \*\*([\d.]+) %\*\* \|/m],
    ] as const) {
      const objective = Number(row.exec(slos)?.[1]) / 100;
      const budget = Number((1 - objective).toFixed(6));
      expect(budget).toBeGreaterThan(0);
      const remaining = all.find((r) => r.record === `visits:slo_${slo}:error_budget_remaining`)!;
      expect(remaining.expr).toBe(`1 - visits:slo_${slo}:error_ratio_rate30d / ${budget}`);
      for (const alert of all.filter((r) => r.labels?.slo === slo)) {
        // Every threshold is burn rate × this budget.
        const thresholds = [...alert.expr.matchAll(/> \((?:[\d.]+ \* )?([\d.]+)\)|> ([\d.]+)(?=[\s)])/g)].map((m) => Number(m[1] ?? m[2]));
        expect(thresholds).toHaveLength(4);
        for (const t of thresholds) expect(t).toBe(budget);
      }
    }
  });
});

describe('promtool test rules (tests/monitoring/alerts.test.yaml)', () => {
  it('passes for every alert, firing and not firing', async () => {
    const result = await testRules(dir, groups);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('has, for every alert, a case where it fires and a case where it must not', () => {
    const cases = alertTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of alertsOf(groups).map((r) => r.alert!)) {
      const mine = cases.filter((c) => c.alertname === name);
      expect({ name, fires: mine.some((c) => c.exp_alerts.length > 0) }).toEqual({ name, fires: true });
      expect({ name, silent: mine.some((c) => c.exp_alerts.length === 0) }).toEqual({ name, silent: true });
    }
  });

  // Mutation check: the unit tests are only worth something if breaking a rule breaks them.
  it('fails when any alert expression is broken', async () => {
    const survivors: string[] = [];
    for (const name of alertsOf(groups).map((r) => r.alert!)) {
      const mutant = copy(groups);
      const rule = mutant.flatMap((g) => g.rules).find((r) => r.alert === name)!;
      rule.expr = `(${rule.expr}) unless on () vector(1)`; // valid PromQL that never fires
      // Only the tests that expect this alert to fire: a fraction of the time of the whole file.
      const tests = copy(alertTests);
      tests.tests = tests.tests.filter((t) => (t.alert_rule_test ?? []).some((c) => c.alertname === name && c.exp_alerts.length > 0));
      const mutantDir = await mkdtemp(join(dir, 'mutant-'));
      const result = await testRules(mutantDir, mutant, tests);
      if (result.code === 0) survivors.push(name);
    }
    expect(survivors).toEqual([]);
  });

  it('fails when a recording rule the alerts read loses its selector match', async () => {
    const mutant = copy(groups);
    const rule = mutant.flatMap((g) => g.rules).find((r) => r.record === 'visits:persist_failures:increase5m')!;
    rule.expr = rule.expr.replace('job="visits"', 'job="visit"');
    const tests = copy(alertTests);
    tests.tests = tests.tests.filter((t) => (t.alert_rule_test ?? []).some((c) => c.alertname === 'VisitsPersistFailing'));
    const mutantDir = await mkdtemp(join(dir, 'mutant-record-'));
    const result = await testRules(mutantDir, mutant, tests);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('VisitsPersistFailing');
  });
});

describe('the Argo CD alerts (kube-prometheus-stack values, tests/monitoring/argocd-alerts.test.yaml)', () => {
  let argocd: RuleGroup[];
  let argocdTests: AlertTestFile;
  beforeAll(async () => {
    argocd = stackValues('prod').additionalPrometheusRulesMap.argocd.groups;
    argocdTests = readAlertTests(await readFile(join(REPO_ROOT, 'tests/monitoring/argocd-alerts.test.yaml'), 'utf8'));
  });

  it("read what Prometheus scrapes: a ServiceMonitor for Argo CD's controller (job argocd-metrics) and API server", () => {
    const monitors = stackValues('prod').prometheus.additionalServiceMonitors as { name: string; namespaceSelector: unknown }[];
    expect(monitors.map((m) => m.name)).toEqual(['argocd-metrics', 'argocd-server-metrics']);
    for (const monitor of monitors)
      expect(monitor).toMatchObject({ namespaceSelector: { matchNames: ['argocd'] }, endpoints: [{ port: 'metrics' }] });
    for (const rule of alertsOf(argocd)) expect(rule.expr).toContain('job="argocd-metrics", namespace="argocd"');
  });

  it('pass promtool test rules, with a runbook section each', async () => {
    const runbooks = await readFile(RUNBOOKS_FILE, 'utf8');
    for (const rule of alertsOf(argocd)) {
      expect(rule.labels).toEqual({ severity: 'warning', app: 'argocd' });
      expect(runbooks.split(/^## /m).find((s) => s.startsWith(`${rule.alert}\n`))).toMatch(/kubectl |argocd /);
    }
    const checkDir = await mkdtemp(join(dir, 'argocd-'));
    expect((await testRules(checkDir, argocd, argocdTests)).output).toContain('SUCCESS');
  });

  it('fail their unit tests when any expression is broken', async () => {
    const survivors: string[] = [];
    for (const name of alertsOf(argocd).map((r) => r.alert!)) {
      const mutant = copy(argocd);
      const rule = mutant.flatMap((g) => g.rules).find((r) => r.alert === name)!;
      rule.expr = `(${rule.expr}) unless on () vector(1)`;
      const result = await testRules(await mkdtemp(join(dir, 'argocd-mutant-')), mutant, argocdTests);
      if (result.code === 0) survivors.push(name);
    }
    expect(survivors).toEqual([]);
  });
});
