import type { K8sObject } from '../support/kustomize';

/**
 * Live objects as the API server returns them, for the health checks to judge. Times are relative
 * to now, since "no progress for longer than the deadline" is what the StatefulSet check reads.
 */

/** Kubernetes' timestamp form (metav1.Time: UTC, whole seconds) for `seconds` ago. */
export function secondsAgo(seconds: number): string {
  return new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

export interface StatefulSetState {
  generation?: number;
  observedGeneration?: number;
  replicas?: number;
  ready?: number;
  available?: number;
  updated?: number;
  currentRevision?: string;
  updateRevision?: string;
  strategy?: K8sObject;
  minReadySeconds?: number;
  annotations?: Record<string, string>;
  /** When the StatefulSet controller last changed the status; null: no managedFields at all. */
  statusChanged: string | null;
}

/** The visits StatefulSet (3 replicas, rolling updates) in the state given. */
export function statefulSet(state: StatefulSetState): K8sObject {
  const replicas = state.replicas ?? 3;
  const generation = state.generation ?? 2;
  const managedFields =
    state.statusChanged === null
      ? undefined
      : [
          { manager: 'argocd-controller', operation: 'Apply', apiVersion: 'apps/v1', time: secondsAgo(86_400), fieldsType: 'FieldsV1' },
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            subresource: 'status',
            apiVersion: 'apps/v1',
            time: state.statusChanged,
            fieldsType: 'FieldsV1',
          },
        ];
  const updated = state.updated ?? replicas;
  const currentRevision = state.currentRevision ?? 'visits-7d9f8c6b5';
  const updateRevision = state.updateRevision ?? currentRevision;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'visits', namespace: 'visits', generation, annotations: state.annotations, managedFields },
    spec: {
      replicas,
      serviceName: 'visits-headless',
      podManagementPolicy: 'Parallel',
      minReadySeconds: state.minReadySeconds,
      updateStrategy: state.strategy ?? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    },
    status: {
      observedGeneration: state.observedGeneration ?? generation,
      replicas,
      readyReplicas: state.ready ?? replicas,
      availableReplicas: state.available ?? state.ready ?? replicas,
      // Until a rollout completes, the pods not yet replaced are the current revision's.
      currentReplicas: updateRevision === currentRevision ? replicas : replicas - updated,
      updatedReplicas: updated,
      currentRevision,
      updateRevision,
    },
  };
}

/** A child Application of root, as the controller has assessed it (no status: not yet). */
export function childApplication(health?: { status: string; message?: string }, annotations?: Record<string, string>): K8sObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'visits', namespace: 'argocd', ...(annotations ? { annotations } : {}) },
    spec: { project: 'visits', destination: { server: 'https://kubernetes.default.svc', namespace: 'visits' } },
    status: health ? { sync: { status: 'Synced' }, health } : undefined,
  };
}
