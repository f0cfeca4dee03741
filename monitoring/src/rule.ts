/** Building blocks of a Prometheus rule group, and how an alert links to its runbook. */

/** A Prometheus duration as the rules use them: 5m, 1h, 30d. */
export type Duration = `${number}${'s' | 'm' | 'h' | 'd'}`;

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: Duration;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertingRule)[];
}

/**
 * The label every visits alert carries, whatever its expression keeps: Alertmanager's routes and
 * inhibitions match on it (monitoring/src/routing.ts). Not `service`: the Prometheus operator
 * puts a `service` label (the Kubernetes Service) on every scraped series, so the chart's own
 * alerts about the visits Service would carry it too.
 */
export const APP_LABEL = { app: 'visits' } as const;

/** What an alert is about; severity decides the receiver (docs/monitoring.md#alert-delivery). */
export interface Alert {
  name: `Visits${string}`;
  expr: string;
  for?: Duration;
  severity: 'critical' | 'warning';
  /** Extra labels, e.g. the SLO a burn-rate alert is about. */
  labels?: Record<string, string>;
  summary: string;
  /** Names the pod, PVC, StatefulSet or namespace affected, from the alert's labels. */
  description: string;
}

/**
 * Every alert has a section `## <AlertName>` in docs/runbooks.md; its anchor is the heading in
 * lower case, as GitHub makes it.
 */
export function runbookUrl(runbookBaseUrl: string, alertName: string): string {
  return `${runbookBaseUrl}#${alertName.toLowerCase()}`;
}

export function alertingRule(alert: Alert, runbookBaseUrl: string): AlertingRule {
  return {
    alert: alert.name,
    expr: alert.expr,
    ...(alert.for ? { for: alert.for } : {}),
    labels: { severity: alert.severity, ...alert.labels, ...APP_LABEL },
    annotations: { summary: alert.summary, description: alert.description, runbook_url: runbookUrl(runbookBaseUrl, alert.name) },
  };
}

/** A multi-line expression, as YAML's `|` block keeps it (each line, then a final newline). */
export function lines(...parts: string[]): string {
  return `${parts.join('\n')}\n`;
}

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function seconds(duration: Duration): number {
  return Number(duration.slice(0, -1)) * SECONDS[duration.slice(-1)]!;
}
