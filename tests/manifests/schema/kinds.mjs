// The kinds the manifests may contain, and the installed model package that describes each.
// A rendered object of any other kind fails validation with "no schema": add it here and
// regenerate (node tests/manifests/schema/generate.mjs).
export const KINDS = [
  // Kubernetes (kubernetes-models: the OpenAPI schema of Kubernetes v1.36)
  ['v1', 'ConfigMap', 'kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  ['v1', 'Namespace', 'kubernetes-models/v1/Namespace', 'INamespace'],
  ['v1', 'PersistentVolumeClaim', 'kubernetes-models/v1/PersistentVolumeClaim', 'IPersistentVolumeClaim'],
  ['v1', 'Secret', 'kubernetes-models/v1/Secret', 'ISecret'],
  ['v1', 'Service', 'kubernetes-models/v1/Service', 'IService'],
  ['v1', 'ServiceAccount', 'kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  ['apps/v1', 'Deployment', 'kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  ['apps/v1', 'StatefulSet', 'kubernetes-models/apps/v1/StatefulSet', 'IStatefulSet'],
  ['batch/v1', 'Job', 'kubernetes-models/batch/v1/Job', 'IJob'],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'INetworkPolicy'],
  ['policy/v1', 'PodDisruptionBudget', 'kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'Role', 'kubernetes-models/rbac.authorization.k8s.io/v1/Role', 'IRole'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding', 'IRoleBinding'],
  // Argo CD (@kubernetes-models/argo-cd: generated from Argo CD's CRDs)
  ['argoproj.io/v1alpha1', 'Application', '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application', 'IApplication'],
  ['argoproj.io/v1alpha1', 'AppProject', '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject', 'IAppProject'],
  // prometheus-operator (@kubernetes-models/prometheus-operator: generated from its CRDs)
  [
    'monitoring.coreos.com/v1',
    'PrometheusRule',
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    'IPrometheusRule',
  ],
  [
    'monitoring.coreos.com/v1',
    'ServiceMonitor',
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'IServiceMonitor',
  ],
  ['monitoring.coreos.com/v1', 'PodMonitor', '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor', 'IPodMonitor'],
];

// Fields of the pinned Argo CD (tools/argocd, 3.6.1) that @kubernetes-models/argo-cd predates:
// each is added, as Argo CD's own CRD declares it, to the strict schema of its kind.
// tests/argocd/crd-amendments.test.ts checks each against the CRDs of the pinned module.
export const AMENDMENTS = [
  // AppProject cluster-scoped kinds by name (ClusterResourceRestrictionItem.name): the bootstrap
  // and monitoring projects may make one Namespace each, named.
  ...['clusterResourceWhitelist', 'clusterResourceBlacklist'].map((list) => ({
    kind: 'argoproj.io/v1alpha1/AppProject',
    path: ['spec', list, '[]'],
    field: 'name',
    schema: { type: 'string' },
  })),
];
