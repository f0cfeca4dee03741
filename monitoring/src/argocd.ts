import { runbookUrl, type AlertingRule, type Duration, type RuleGroup } from './rule';

/**
 * Argo CD watched: its application controller's metrics (argocd_app_info's sync, health and operation),
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
    // The last sync operation ended in Error or Failed (retries ran out, or someone terminated it)
    // and the Application is still not synced: every later commit fails the same way until
    // someone acts. (argocd_app_sync_total counts an operation only when it ends, and a refused
    // automated sync retries for about half an hour first: ArgoCdAppSyncRetrying covers that time.)
    name: 'ArgoCdAppSyncFailing',
    expr: `max by (namespace, name, project, phase) (argocd_app_info{${CONTROLLER}, phase=~"Error|Failed", sync_status!="Synced"}) == 1`,
    summary: 'An Argo CD Application fails to sync.',
    description:
      'The last sync of Application {{ $labels.namespace }}/{{ $labels.name }} ended {{ $labels.phase }} and it is not synced: every later commit fails the same way until someone acts.',
  },
  {
    // A sync operation still running after 10 minutes: Argo CD is retrying an apply that fails
    // (a kind the project refuses, a manifest the API server rejects) or waiting for a resource
    // to become healthy. A sync of this repository takes seconds (docs/delivery.md).
    name: 'ArgoCdAppSyncRetrying',
    expr: `max by (namespace, name, project) (argocd_app_info{${CONTROLLER}, operation="sync", phase="Running"}) == 1`,
    for: '10m',
    summary: 'An Argo CD sync has been running for 10 minutes.',
    description:
      'A sync of Application {{ $labels.namespace }}/{{ $labels.name }} has been running for 10 minutes: Argo CD is retrying an apply that fails, or waiting for a resource to become healthy. Its message says which.',
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
