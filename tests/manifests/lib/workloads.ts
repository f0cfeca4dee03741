import type { K8sObject } from '../../support/kustomize';
import { selects } from '../../support/label-selector';
import type { RenderedObject } from './render';

export const WORKLOAD_KINDS = new Set(['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet', 'Job']);

export interface Container {
  container: K8sObject;
  /** Field path of the container inside the workload. */
  field: string;
}

export function isWorkload(obj: RenderedObject): boolean {
  return WORKLOAD_KINDS.has(obj.doc.kind) && obj.doc.spec?.template !== undefined;
}

export function podLabels(obj: RenderedObject): Record<string, string> {
  return obj.doc.spec?.template?.metadata?.labels ?? {};
}

export function containersOf(obj: RenderedObject): Container[] {
  const spec = obj.doc.spec?.template?.spec ?? {};
  const list: Container[] = [];
  (spec.initContainers ?? []).forEach((c: K8sObject, i: number) =>
    list.push({ container: c, field: `spec.template.spec.initContainers[${i}]` }),
  );
  (spec.containers ?? []).forEach((c: K8sObject, i: number) => list.push({ container: c, field: `spec.template.spec.containers[${i}]` }));
  return list;
}

/** Declared container ports, by name and by number. */
export function declaresPort(obj: RenderedObject, port: string | number): boolean {
  return containersOf(obj).some(({ container }) =>
    (container.ports ?? []).some((p: K8sObject) => (typeof port === 'number' ? p.containerPort === port : p.name === port)),
  );
}

/** A Service's plain map selector (non-empty) as a label selector. */
export function serviceSelects(service: K8sObject, labels: Record<string, string>): boolean {
  const selector = service.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return selects({ matchLabels: selector }, labels);
}

export function namespaceOf(obj: RenderedObject): string | undefined {
  return obj.doc.metadata?.namespace;
}

/** Objects of one kind in the same render and namespace as `obj`. */
export function siblings(all: RenderedObject[], obj: RenderedObject, kind: string): RenderedObject[] {
  return all.filter((o) => o.renderedFrom === obj.renderedFrom && o.doc.kind === kind && namespaceOf(o) === namespaceOf(obj));
}
