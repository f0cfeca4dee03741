import { DATA_VOLUMES, PODS, SERVICE, STATEFULSET } from './selectors';
import { lines, type RuleGroup } from './rule';

/** The recorded series the alerts and the dashboard read, by what they hold. */
export const RECORDED = {
  requestRate: 'visits:http_requests:rate5m',
  requestDurationBuckets: 'visits:http_request_duration_seconds_bucket:rate5m',
  persisted: 'visits:persisted:max_by_pod',
  persistFailures: 'visits:persist_failures:increase5m',
  persistDurationBuckets: 'visits:persist_duration_seconds_bucket:rate5m',
  replicasDesired: 'visits:statefulset_replicas_desired',
  replicasReady: 'visits:statefulset_replicas_ready',
  podRestarts: 'visits:pod_restarts:increase30m',
  dataVolumeAvailable: 'visits:data_volume_available:ratio',
} as const;

export const recordingRules: RuleGroup = {
  name: 'visits.recording',
  rules: [
    {
      record: RECORDED.requestRate,
      expr: `sum by (namespace, pod, route, status_code) (rate(http_request_duration_seconds_count{${SERVICE}}[5m]))`,
    },
    {
      record: RECORDED.requestDurationBuckets,
      expr: `sum by (namespace, route, le) (rate(http_request_duration_seconds_bucket{${SERVICE}}[5m]))`,
    },
    // max by pod: a restarted pod keeps its name but gets a new IP (instance), so the pod is the identity.
    { record: RECORDED.persisted, expr: `max by (namespace, pod) (visits_persisted{${SERVICE}})` },
    {
      record: RECORDED.persistFailures,
      expr: `sum by (namespace, pod, reason) (increase(visits_persist_failures_total{${SERVICE}}[5m]))`,
    },
    {
      record: RECORDED.persistDurationBuckets,
      expr: `sum by (namespace, pod, le) (rate(visits_persist_duration_seconds_bucket{${SERVICE}}[5m]))`,
    },
    { record: RECORDED.replicasDesired, expr: `max by (namespace, statefulset) (kube_statefulset_replicas{${STATEFULSET}})` },
    {
      record: RECORDED.replicasReady,
      expr: `max by (namespace, statefulset) (kube_statefulset_status_replicas_ready{${STATEFULSET}})`,
    },
    {
      record: RECORDED.podRestarts,
      expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{${PODS}}[30m]))`,
    },
    {
      record: RECORDED.dataVolumeAvailable,
      expr: lines(
        `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{${DATA_VOLUMES}})`,
        '/',
        `max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{${DATA_VOLUMES}})`,
      ),
    },
  ],
};
