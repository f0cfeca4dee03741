import { readFileSync } from 'node:fs';
import { DASHBOARD_FILE } from './rendered-monitoring';

export interface DashboardTarget {
  expr?: string;
  refId: string;
  datasource?: { type: string; uid: string };
}

export interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
  options?: Record<string, unknown>;
}

export interface DashboardVariable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type: string; uid: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export interface DashboardQuery {
  panelId: number;
  title: string;
  refId: string;
  expr: string;
}

export function loadDashboard(file = DASHBOARD_FILE): Dashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as Dashboard;
}

/** Grafana's own substitution, for the variables this dashboard uses. */
export function substitute(expr: string, namespace: string): string {
  return expr
    .replace(/\$\{namespace\}|\$namespace\b/g, namespace)
    .replace(/\$__rate_interval\b/g, '1m')
    .replace(/\$__interval\b/g, '15s');
}

/** Every PromQL query of every panel, as Grafana would send it for `namespace`. */
export function dashboardQueries(dashboard: Dashboard, namespace = 'visits'): DashboardQuery[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t) => t.expr !== undefined)
      .map((t) => ({ panelId: panel.id, title: panel.title, refId: t.refId, expr: substitute(t.expr!, namespace) })),
  );
}

/** The series selector inside the namespace variable's `label_values(SELECTOR, namespace)`. */
export function namespaceVariableSelector(dashboard: Dashboard): string {
  const variable = dashboard.templating.list.find((v) => v.name === 'namespace');
  const query = typeof variable?.query === 'string' ? variable.query : variable?.query.query;
  const match = /^label_values\((.+),\s*namespace\)$/.exec(query ?? '');
  if (!match) throw new Error(`namespace variable is not label_values(..., namespace): ${query}`);
  return match[1]!;
}
