/**
 * The names and numbers the manifests must keep: docs/architecture.md#names and #configuration.
 * Change them only together with that page and every part that uses them.
 */
export const CONTRACT = {
  statefulSet: 'visits',
  headlessService: 'visits-headless',
  clientService: 'visits',
  clientServicePort: 80,
  containerPort: 8080,
  portName: 'http',
  /** The monitoring listener: probes and /metrics only (MONITOR_PORT); Prometheus and the kubelet only. */
  monitorPort: 8081,
  monitorPortName: 'monitor',
  pvcTemplate: 'data',
  dataMountPath: '/app/data',
  /** Labels every object carries; the selector uses only the first, and never changes. */
  labels: { 'app.kubernetes.io/name': 'visits', 'app.kubernetes.io/part-of': 'visits' } as Record<string, string>,
  selectorKeys: ['app.kubernetes.io/name'],
  uid: 10001,
  gid: 10001,
  shutdownDelayMs: 5000,
  terminationGracePeriodSeconds: 30,
  /**
   * The dev environment is the seed lab's shape, on the cluster's default StorageClass: its claim
   * template names no class (docs/deploy.md#storage-classes).
   */
  dev: { path: 'apps/visits/envs/dev', namespace: 'visits', replicas: 3, storage: '128Mi' },
  /** Where kube-prometheus-stack runs; the NetworkPolicy lets its Prometheus in. */
  monitoringNamespace: 'monitoring',
  /** Labels kube-prometheus-stack puts on its Prometheus pods (what the NetworkPolicy admits). */
  prometheusPodLabels: { 'app.kubernetes.io/name': 'prometheus' } as Record<string, string>,
  argoNamespace: 'argocd',
};
