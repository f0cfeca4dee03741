import { RECORDED } from './recording';
import { alertingRule, lines, type Alert, type RuleGroup } from './rule';
import { DATA_VOLUMES, SERVICE, STATEFULSET } from './selectors';

/**
 * The application's alerts. Each has a section in docs/runbooks.md and promtool unit tests in
 * tests/monitoring/alerts.test.yaml (both ways).
 */
export const ALERTS: readonly Alert[] = [
  {
    name: 'VisitsTargetDown',
    expr: `up{${SERVICE}} == 0`,
    for: '3m',
    severity: 'critical',
    summary: 'A visits replica cannot be scraped.',
    description:
      'Prometheus has failed to scrape {{ $labels.pod }} in namespace {{ $labels.namespace }} ({{ $labels.instance }}) for 3 minutes; the process is hung, crashed or unreachable.',
  },
  {
    // Per namespace: a StatefulSet that wants replicas and has no scrape target at all (absent()
    // alone keeps only the labels of exact-match selectors, so it could not say which namespace).
    // The absent() branch, only when the first finds nothing, still fires when kube-state-metrics
    // is gone too or the StatefulSet was deleted.
    name: 'VisitsTargetsAbsent',
    expr: lines(
      `max by (namespace, statefulset) (kube_statefulset_replicas{${STATEFULSET}}) > 0`,
      'unless on (namespace)',
      `count by (namespace) (up{${SERVICE}})`,
      'or on ()',
      `absent(up{${SERVICE}})`,
    ),
    for: '5m',
    severity: 'critical',
    summary: 'Every visits scrape target has vanished.',
    description:
      'Prometheus has had no visits target {{ if $labels.namespace }}in namespace {{ $labels.namespace }}{{ else }}in any visits namespace{{ end }} for 5 minutes; no pod of the StatefulSet is running or the ServiceMonitor no longer matches the Service.',
  },
  {
    name: 'VisitsReplicasNotReady',
    expr: `${RECORDED.replicasReady} < ${RECORDED.replicasDesired}`,
    for: '10m',
    severity: 'warning',
    summary: 'Fewer visits replicas are ready than the StatefulSet wants.',
    description:
      'StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has had only {{ $value }} ready replicas, fewer than desired, for 10 minutes.',
  },
  {
    // Updated replicas behind the desired count (or a spec generation not yet observed), and no
    // replica updated for 15 minutes: the rollout is stuck, not slow. The window is the wait; the
    // `for` (1m of it) only rides over one odd evaluation, so it fires 15 minutes after the last
    // progress, as its text says (a 15m window and `for: 15m` made that 30).
    name: 'VisitsRolloutStuck',
    expr: lines(
      '(',
      `  max by (namespace, statefulset) (kube_statefulset_status_replicas_updated{${STATEFULSET}})`,
      `    < max by (namespace, statefulset) (kube_statefulset_replicas{${STATEFULSET}})`,
      '  or',
      `  max by (namespace, statefulset) (kube_statefulset_status_observed_generation{${STATEFULSET}})`,
      `    < max by (namespace, statefulset) (kube_statefulset_metadata_generation{${STATEFULSET}})`,
      ')',
      'unless on (namespace, statefulset)',
      `max by (namespace, statefulset) (changes(kube_statefulset_status_replicas_updated{${STATEFULSET}}[14m])) > 0`,
    ),
    for: '1m',
    severity: 'warning',
    summary: 'A visits rollout has stopped progressing.',
    description:
      'StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has not updated a replica for 15 minutes while its rollout is unfinished.',
  },
  {
    name: 'VisitsPodRestarting',
    expr: `${RECORDED.podRestarts} >= 3`,
    for: '5m',
    severity: 'warning',
    summary: 'A visits pod keeps restarting.',
    description: 'Pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last 30 minutes.',
  },
  {
    // Failed writes in the last 5 minutes, unless the pod has since written successfully and not
    // failed for two minutes: it heals by itself (docs/architecture.md#the-data-file), so the
    // alert resolves about two minutes later. Two minutes hold four samples at a 30 s scrape, so
    // one missed scrape does not keep a healed pod alerting (a 1m window held two). The `for` is
    // the same two minutes: a failure that heals within the window pages nobody.
    name: 'VisitsPersistFailing',
    expr: lines(
      `${RECORDED.persistFailures} > 0`,
      'unless on (namespace, pod)',
      '(',
      `  sum by (namespace, pod) (increase(visits_persist_failures_total{${SERVICE}}[2m])) == 0`,
      '  and on (namespace, pod)',
      `  sum by (namespace, pod) (increase(visits_persist_duration_seconds_count{${SERVICE}}[2m])) > 0`,
      ')',
    ),
    for: '2m',
    severity: 'critical',
    summary: 'A visits replica cannot persist visits.',
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} failed {{ $value | printf "%.0f" }} durable writes with {{ $labels.reason }} in the last 5 minutes; its visits are answered 503 and it is not ready.',
  },
  {
    // 2^53-1 visits: every further visit is answered 507 and not counted until someone restores a
    // smaller count. Practically unreachable, so when it happens it is a bug or a bad restore.
    name: 'VisitsCountAtLimit',
    expr: `sum by (namespace, pod) (increase(visits_refused_total{${SERVICE}, reason="count_limit"}[5m])) > 0`,
    severity: 'critical',
    summary: 'A visits replica is at the largest count it can hold and refuses visits.',
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} refused {{ $value | printf "%.0f" }} visits in the last 5 minutes with 507: its count is at 2^53-1.',
  },
  {
    // More visits wait for the disk than the store takes (4096): some are answered 503 with Retry-After.
    name: 'VisitsShedding',
    expr: `sum by (namespace, pod) (increase(visits_refused_total{${SERVICE}, reason="queue_full"}[5m])) > 0`,
    for: '5m',
    severity: 'warning',
    summary: 'A visits replica is shedding load: its write queue is full.',
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} answered {{ $value | printf "%.0f" }} visits with 503 in the last 5 minutes because more visits were waiting for its disk than it queues.',
  },
  {
    // The durable count only grows; a smaller one (usually right after a restart) means the
    // volume lost data, or someone restored an older value on purpose.
    name: 'VisitsCountWentBackwards',
    expr: `${RECORDED.persisted} < max_over_time(${RECORDED.persisted}[1h])`,
    severity: 'critical',
    summary: "A visits replica's durable count went backwards.",
    description:
      'Pod {{ $labels.namespace }}/{{ $labels.pod }} now reports {{ $value | printf "%.0f" }} persisted visits, fewer than it reported within the last hour; data on its volume was lost or replaced.',
  },
  {
    name: 'VisitsDataVolumeAlmostFull',
    expr: `${RECORDED.dataVolumeAvailable} < 0.10`,
    for: '5m',
    severity: 'critical',
    summary: 'A visits data volume is almost full.',
    description:
      'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has only {{ $value | humanizePercentage }} of its space left.',
  },
  {
    // The two volume alerts read kubelet_volume_stats_*, which the kubelet publishes only for
    // volumes whose driver reports usage: hostPath (kind's standard class) and several CSI
    // drivers never do, and then those alerts can never fire. Say so instead of staying silent.
    name: 'VisitsVolumeStatsMissing',
    expr: lines(
      `max by (namespace, persistentvolumeclaim) (kube_pod_spec_volumes_persistentvolumeclaims_info{${DATA_VOLUMES}})`,
      'unless on (namespace, persistentvolumeclaim)',
      `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{${DATA_VOLUMES}})`,
    ),
    for: '1h',
    severity: 'warning',
    summary: 'The volume alerts cannot see a visits data volume.',
    description:
      'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is mounted by a pod but its kubelet publishes no volume statistics, so VisitsDataVolumeAlmostFull and VisitsDataVolumeFillingUp can never fire for it.',
  },
  {
    name: 'VisitsDataVolumeFillingUp',
    expr: lines(
      `${RECORDED.dataVolumeAvailable} < 0.40`,
      'and on (namespace, persistentvolumeclaim)',
      `predict_linear(kubelet_volume_stats_available_bytes{${DATA_VOLUMES}}[6h], 4 * 24 * 3600) < 0`,
    ),
    for: '1h',
    severity: 'warning',
    summary: 'A visits data volume will be full within four days.',
    description:
      'PVC {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} of its space left and, at the rate of the last 6 hours, will be full within four days.',
  },
];

export function applicationAlerts(runbookBaseUrl: string): RuleGroup {
  return { name: 'visits.alerts', rules: ALERTS.map((alert) => alertingRule(alert, runbookBaseUrl)) };
}
