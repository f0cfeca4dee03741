import { ALERTS } from './alerts';
import { ARGOCD_ALERTS, ARGOCD_LABEL } from './argocd';
import { APP_LABEL, runbookUrl, type Alert } from './rule';
import { SLO_ALERTS } from './slos';

/**
 * Where every alert must go: the source of truth for Alertmanager's routes and inhibitions
 * (alertmanager-config.ts generates them from this), for the routing tests (amtool and the
 * end-to-end test take their rows from here) and for the table in docs/monitoring.md.
 */
export type Receiver = 'pager' | 'chat' | 'deadmans-switch' | 'null';

/** Who acts on what reaches a receiver (docs/monitoring.md#alert-delivery). */
export const WHO_ACTS: Record<Receiver, string> = {
  pager: 'on-call, paged at any hour',
  chat: 'the team, in working hours',
  'deadmans-switch': 'the switch service: it pages on-call when the pings stop',
  null: 'nobody (a helper of the inhibitions)',
};

/** Clusters whose alerts never page: their criticals reach chat (the label is Prometheus's external `cluster`). */
export const CLUSTERS_OFF_THE_PAGER = ['dev'] as const;

export interface Row {
  alert: string;
  /** Prometheus's external label: which cluster the alert comes from. */
  cluster: string;
  /** The labels routing reads, as the alert carries them in a cluster (besides alertname and cluster). */
  labels: Record<string, string>;
  from: 'visits' | 'kube-prometheus-stack' | 'argocd';
  receiver: Receiver;
  runbook: string;
  /** Why it goes there, for rows that are not plain visits alerts. */
  why?: string;
}

const CHART_RUNBOOKS = 'https://runbooks.prometheus-operator.dev/runbooks';

/** A visits alert pages when critical, reaches chat when a warning. */
export const visitsReceiver = (severity: Alert['severity']): Receiver => (severity === 'critical' ? 'pager' : 'chat');

export const VISITS_ALERTS: readonly Alert[] = [...ALERTS, ...SLO_ALERTS];

function visitsRows(runbookBaseUrl: string): Row[] {
  return VISITS_ALERTS.map((alert) => ({
    alert: alert.name,
    cluster: 'prod',
    labels: { severity: alert.severity, ...alert.labels, ...APP_LABEL, namespace: 'visits-prod' },
    from: 'visits',
    receiver: visitsReceiver(alert.severity),
    runbook: runbookUrl(runbookBaseUrl, alert.name),
  }));
}

interface ChartAlert {
  alert: string;
  /** Its folder in the chart's runbooks. */
  group: string;
  labels: Record<string, string>;
  receiver: Receiver;
  why: string;
  /**
   * When set, the alert gets a route of its own: alertname and these matchers (regular
   * expressions) to the receiver. Otherwise it reaches the default receiver, chat.
   */
  route?: Record<string, string>;
}

const STACK = 'the monitoring stack: while it fails, the visits alerts cannot fire';
const OTHERS = 'not this project; nothing is dropped silently';

const stack = (group: string, labels: Record<string, string>, ...alerts: string[]): ChartAlert[] =>
  alerts.map((alert) => ({ alert, group, labels, receiver: 'pager', why: STACK, route: {} }));

/**
 * The chart's alerts that matter here, with the labels its rules give them, in route order: a
 * route with more matchers comes before a broader one for the same alert.
 */
export const CHART_ALERTS: readonly ChartAlert[] = [
  {
    alert: 'Watchdog',
    group: 'general',
    labels: { severity: 'none' },
    receiver: 'deadmans-switch',
    why: 'always firing; the switch pages when it stops',
    route: {},
  },
  {
    alert: 'InfoInhibitor',
    group: 'general',
    labels: { severity: 'none', namespace: 'shop' },
    receiver: 'null',
    why: 'mutes the info alerts of a namespace where nothing worse fires',
    route: {},
  },
  ...stack('prometheus', { severity: 'critical', namespace: 'monitoring' }, 'PrometheusRuleFailures', 'PrometheusBadConfig'),
  ...stack('kube-state-metrics', { severity: 'critical' }, 'KubeStateMetricsListErrors', 'KubeStateMetricsWatchErrors'),
  ...stack('kubernetes', { severity: 'critical', namespace: 'kube-system' }, 'KubeletDown'),
  ...['kube-state-metrics', 'kubelet'].map((job): ChartAlert => ({
    alert: 'TargetDown',
    group: 'general',
    labels: { severity: 'warning', namespace: job === 'kubelet' ? 'kube-system' : 'monitoring', job },
    receiver: 'pager',
    why: STACK,
    route: { job: 'kube-state-metrics|kubelet' },
  })),
  { alert: 'TargetDown', group: 'general', labels: { severity: 'warning', namespace: 'shop', job: 'shop' }, receiver: 'chat', why: OTHERS },
  {
    alert: 'AlertmanagerFailedToSendAlerts',
    group: 'alertmanager',
    labels: { severity: 'warning', namespace: 'monitoring', integration: 'pagerduty' },
    receiver: 'chat',
    why: 'the pager is failing: never to the pager',
    route: { integration: 'pagerduty' },
  },
  {
    alert: 'AlertmanagerFailedToSendAlerts',
    group: 'alertmanager',
    labels: { severity: 'warning', namespace: 'monitoring', integration: 'slack' },
    receiver: 'pager',
    why: 'chat is failing: say so where someone will see it',
    route: {},
  },
  { alert: 'KubePodCrashLooping', group: 'kubernetes', labels: { severity: 'warning', namespace: 'shop' }, receiver: 'chat', why: OTHERS },
  { alert: 'KubeAPIErrorBudgetBurn', group: 'kubernetes', labels: { severity: 'critical' }, receiver: 'chat', why: OTHERS },
  {
    alert: 'CPUThrottlingHigh',
    group: 'kubernetes',
    labels: { severity: 'info', namespace: 'shop' },
    receiver: 'chat',
    why: 'an info alert: muted unless something worse fires in its namespace',
  },
];

const chartRow = (c: ChartAlert): Row => ({
  alert: c.alert,
  cluster: 'prod',
  labels: c.labels,
  from: 'kube-prometheus-stack',
  receiver: c.receiver,
  runbook: `${CHART_RUNBOOKS}/${c.group}/${c.alert.toLowerCase()}`,
  why: c.why,
});

/** Every row of the table: prod's alerts, and what changes on a cluster off the pager. */
export function routingTable(runbookBaseUrl: string): Row[] {
  // Argo CD's alerts reach chat, the default receiver: no route of their own.
  const argocd = ARGOCD_ALERTS.map((a): Row => ({
    alert: a.name,
    cluster: 'prod',
    labels: { severity: 'warning', ...ARGOCD_LABEL, namespace: 'argocd' },
    from: 'argocd',
    receiver: 'chat',
    runbook: runbookUrl(runbookBaseUrl, a.name),
    why: 'a sync or an Application that needs someone, in working hours',
  }));
  const prod = [...visitsRows(runbookBaseUrl), ...argocd, ...CHART_ALERTS.map(chartRow)];
  const offThePager = CLUSTERS_OFF_THE_PAGER.flatMap((cluster) =>
    ['VisitsTargetDown', 'PrometheusRuleFailures', 'Watchdog'].map((name) => {
      const row = prod.find((r) => r.alert === name)!;
      const receiver = row.receiver === 'pager' ? 'chat' : row.receiver;
      const labels = row.from === 'visits' ? { ...row.labels, namespace: 'visits' } : row.labels; // dev's namespace
      return { ...row, cluster, labels, receiver, why: receiver === 'chat' ? `${cluster} never pages` : row.why };
    }),
  );
  return [...prod, ...offThePager];
}

/**
 * What mutes what. Only visits alerts inhibit visits alerts, each rule about one thing (the same
 * pod, the same volume, the same objective); an alert without the `equal` labels is never a source
 * or a target, since Alertmanager counts a label absent on both sides as equal.
 */
export interface Inhibition {
  why: string;
  sources: readonly string[];
  targets: readonly string[];
  equal: readonly string[];
}

export const VISITS_INHIBITIONS: readonly Inhibition[] = [
  {
    why: 'a replica that is down, cannot write, is at its limit or lost data: its restarts and shedding are the same incident',
    sources: ['VisitsTargetDown', 'VisitsPersistFailing', 'VisitsCountAtLimit', 'VisitsCountWentBackwards'],
    targets: ['VisitsPodRestarting', 'VisitsShedding'],
    equal: ['namespace', 'pod'],
  },
  {
    why: 'an almost full volume already pages; that it will fill up adds nothing',
    sources: ['VisitsDataVolumeAlmostFull'],
    targets: ['VisitsDataVolumeFillingUp'],
    equal: ['namespace', 'persistentvolumeclaim'],
  },
  {
    why: 'a fast burn already pages; the slow burn of the same objective counts the same errors',
    sources: ['VisitsAvailabilityBudgetBurnFast', 'VisitsLatencyBudgetBurnFast'],
    targets: ['VisitsAvailabilityBudgetBurnSlow', 'VisitsLatencyBudgetBurnSlow'],
    equal: ['namespace', 'slo'],
  },
];

/**
 * The chart's default inhibitions, kept for every alert that is not a visits alert: the same alert
 * at a higher severity in the same namespace, and InfoInhibitor for info alerts.
 */
export const CHART_INHIBITIONS = [
  { source_matchers: ['severity = critical'], target_matchers: ['severity =~ warning|info'], equal: ['namespace', 'alertname'] },
  { source_matchers: ['severity = warning'], target_matchers: ['severity = info'], equal: ['namespace', 'alertname'] },
  { source_matchers: ['alertname = InfoInhibitor'], target_matchers: ['severity = info'], equal: ['namespace'] },
  { target_matchers: ['alertname = InfoInhibitor'] },
] as const;

/** What may mute a row's alert, in words for the table. */
export function inhibitedBy(row: Row): string[] {
  if (row.from === 'visits') return VISITS_INHIBITIONS.filter((i) => i.targets.includes(row.alert)).flatMap((i) => i.sources);
  if (row.labels.severity === 'warning') return [`${row.alert} at critical`];
  if (row.labels.severity === 'info') return [`${row.alert} at warning or critical`, 'InfoInhibitor'];
  return [];
}
