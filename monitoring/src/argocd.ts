import { lines, runbookUrl, type AlertingRule, type Duration, type RuleGroup } from './rule';

/**
 * Argo CD watched: its application controller's metrics (argocd_app_info, argocd_app_sync_total),
 * scraped through the ServiceMonitor in kube-prometheus-stack's values, and alerts on the
 * Applications of this repository when a sync fails or they stay OutOfSync or Degraded. Written
 * into the chart's values (additionalPrometheusRulesMap) by stack-values.ts: they are about Argo
 * CD, not about one environment of visits. Each has a section in docs/runbooks.md.
 */
export const ARGOCD_LABEL = { app: 'argocd' } as const;

/** The controller's metrics Service, argocd-metrics: the ServiceMonitor makes it the job. */
const CONTROLLER = 'job="argocd-metrics", namespace="argocd"';

interface ArgoCdAlert {
  name: `ArgoCdApp${string}`;
  expr: string;
  for?: Duration;
  summary: string;
  description: string;
}

export const ARGOCD_ALERTS: readonly ArgoCdAlert[] = [
  {
    // Automated sync retries with backoff (up to 10 tries, 5 min apart at most): a sync that has
    // failed and left the Application unsynced is not going to fix itself.
    name: 'ArgoCdAppSyncFailing',
    expr: lines(
      `sum by (namespace, name, project) (increase(argocd_app_sync_total{${CONTROLLER}, phase=~"Error|Failed"}[15m])) > 0`,
      'and on (namespace, name)',
      `max by (namespace, name) (argocd_app_info{${CONTROLLER}, sync_status!="Synced"})`,
    ),
    summary: 'An Argo CD Application fails to sync.',
    description:
      'Application {{ $labels.namespace }}/{{ $labels.name }} failed {{ $value | printf "%.0f" }} syncs in the last 15 minutes and is not synced: every later commit fails the same way until someone acts.',
  },
  {
    name: 'ArgoCdAppOutOfSync',
    expr: `max by (namespace, name, project) (argocd_app_info{${CONTROLLER}, sync_status="OutOfSync"}) == 1`,
    for: '30m',
    summary: 'An Argo CD Application has differed from git for 30 minutes.',
    description:
      'Application {{ $labels.namespace }}/{{ $labels.name }} has been OutOfSync for 30 minutes: what runs is not what git says.',
  },
  {
    name: 'ArgoCdAppDegraded',
    expr: `max by (namespace, name, project) (argocd_app_info{${CONTROLLER}, health_status="Degraded"}) == 1`,
    for: '15m',
    summary: 'An Argo CD Application has been Degraded for 15 minutes.',
    description:
      'Application {{ $labels.namespace }}/{{ $labels.name }} has been Degraded for 15 minutes; its resources say why (argocd app get).',
  },
];

export function argocdAlerts(runbookBaseUrl: string): RuleGroup {
  return {
    name: 'argocd.alerts',
    // Warnings, to chat: someone acts in working hours (a failed sync changes nothing that runs).
    rules: ARGOCD_ALERTS.map((a): AlertingRule => ({
      alert: a.name,
      expr: a.expr,
      ...(a.for ? { for: a.for } : {}),
      labels: { severity: 'warning', ...ARGOCD_LABEL },
      annotations: { summary: a.summary, description: a.description, runbook_url: runbookUrl(runbookBaseUrl, a.name) },
    })),
  };
}
