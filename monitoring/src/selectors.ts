/**
 * The label matchers that tie every rule to this application, each written once.
 *
 * The namespace is a pattern, not a name: the monitoring component is shared by the overlays (dev
 * runs in "visits", prod in "visits-prod") and kustomize does not rewrite PromQL, so a new
 * environment keeps to the visits-<env> naming.
 */
export const NAMESPACE = 'namespace=~"visits(-[a-z0-9-]+)?"';

/** Series scraped from the service: the ServiceMonitor makes the job the Service's name. */
export const SERVICE = `job="visits", ${NAMESPACE}`;
/** kube-state-metrics series about the StatefulSet. */
export const STATEFULSET = `${NAMESPACE}, statefulset="visits"`;
/** Series about its pods, visits-0, visits-1, … */
export const PODS = `${NAMESPACE}, pod=~"visits-[0-9]+"`;
/** Series about its data volumes, the PVCs data-visits-0, data-visits-1, … */
export const DATA_VOLUMES = `${NAMESPACE}, persistentvolumeclaim=~"data-visits-[0-9]+"`;
