import { CONTRACT } from './contract';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import type { RenderedObject } from './render';
import { describe } from './repository';
import { containersOf, declaresPort, isWorkload } from './workloads';

/** HTTP status the built service answered for each probe path (404: not a route it serves). */
export type ServedRoutes = ReadonlyMap<string, number>;

type Report = (field: string, message: string) => void;

function reporter(obj: RenderedObject, problems: Problem[]): Report {
  return (field, message) => problems.push({ file: obj.file, object: describe(obj), field, message });
}

const DIGEST = /^[^@\s]+@sha256:[0-9a-f]{64}$/;
// Pod Security Standards, restricted profile: the only volume types it allows.
const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** The Pod Security Standards `restricted` profile, plus this project's stricter rules. */
export function restrictedProfileProblems(obj: RenderedObject, report: Report): void {
  const pod = obj.doc.spec.template.spec ?? {};
  const podSc = pod.securityContext ?? {};
  const base = 'spec.template.spec';
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (pod[flag]) report(`${base}.${flag}`, 'must not be true (restricted profile)');
  if (podSc.runAsUser === 0) report(`${base}.securityContext.runAsUser`, 'must not be 0 (restricted profile)');
  if (podSc.seccompProfile && !['RuntimeDefault', 'Localhost'].includes(podSc.seccompProfile.type)) {
    report(`${base}.securityContext.seccompProfile.type`, 'must be RuntimeDefault or Localhost (restricted profile)');
  }
  (pod.volumes ?? []).forEach((v: K8sObject, i: number) => {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUMES.includes(type))
      report(`${base}.volumes[${i}].${type}`, `volume type ${type} is not allowed (restricted profile)`);
  });
  if (pod.automountServiceAccountToken !== false)
    report(`${base}.automountServiceAccountToken`, 'must be false: the service never calls the Kubernetes API');
  if (obj.doc.spec.volumeClaimTemplates?.length && podSc.fsGroup === undefined) {
    report(`${base}.securityContext.fsGroup`, 'must be set so the non-root user can write the data volume');
  }
  for (const { container: c, field } of containersOf(obj)) {
    const sc = c.securityContext ?? {};
    const effective = (key: string) => (sc[key] !== undefined ? sc[key] : podSc[key]);
    if (effective('runAsNonRoot') !== true)
      report(`${field}.securityContext.runAsNonRoot`, 'must be true, in the container or the pod (restricted profile)');
    if (effective('runAsUser') === 0) report(`${field}.securityContext.runAsUser`, 'must not be 0 (restricted profile)');
    const seccomp = effective('seccompProfile');
    if (!seccomp || !['RuntimeDefault', 'Localhost'].includes(seccomp.type)) {
      report(
        `${field}.securityContext.seccompProfile.type`,
        'must be RuntimeDefault or Localhost, in the container or the pod (restricted profile)',
      );
    }
    if (sc.allowPrivilegeEscalation !== false)
      report(`${field}.securityContext.allowPrivilegeEscalation`, 'must be false (restricted profile)');
    if (sc.privileged) report(`${field}.securityContext.privileged`, 'must not be true (restricted profile)');
    const drop: string[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) report(`${field}.securityContext.capabilities.drop`, 'must include ALL (restricted profile)');
    const add: string[] = sc.capabilities?.add ?? [];
    if (add.some((cap) => cap !== 'NET_BIND_SERVICE'))
      report(`${field}.securityContext.capabilities.add`, 'may add only NET_BIND_SERVICE (restricted profile)');
    if (sc.readOnlyRootFilesystem !== true) report(`${field}.securityContext.readOnlyRootFilesystem`, 'must be true');
    (c.ports ?? []).forEach((p: K8sObject, i: number) => {
      if (p.hostPort) report(`${field}.ports[${i}].hostPort`, 'must not be set (baseline profile)');
    });
  }
}

function probeProblems(obj: RenderedObject, served: ServedRoutes, report: Report): void {
  for (const { container: c, field } of containersOf(obj)) {
    if (field.includes('initContainers')) continue;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const spec = c[probe];
      if (!spec) {
        report(`${field}.${probe}`, 'missing: every serving container needs startup, readiness and liveness probes');
        continue;
      }
      const get = spec.httpGet;
      if (!get) {
        report(`${field}.${probe}.httpGet`, 'the service exposes its checks over HTTP (Terminus): use httpGet');
        continue;
      }
      if (!declaresPort(obj, get.port))
        report(`${field}.${probe}.httpGet.port`, `${JSON.stringify(get.port)} is not a port the container declares`);
      else if (get.port !== CONTRACT.monitorPortName && get.port !== CONTRACT.monitorPort)
        report(`${field}.${probe}.httpGet.port`, `${JSON.stringify(get.port)}: the probes are served on ${CONTRACT.monitorPortName} only`);
      const status = served.get(get.path);
      if (status === undefined) report(`${field}.${probe}.httpGet.path`, `${JSON.stringify(get.path)} was not asked of the service`);
      else if (status === 404)
        report(`${field}.${probe}.httpGet.path`, `${JSON.stringify(get.path)} is not a route the service serves (it answered 404)`);
    }
  }
}

/** Probe timings that fit the service's start and its shutdown sequence. */
function timingProblems(obj: RenderedObject, report: Report): void {
  const pod = obj.doc.spec.template.spec ?? {};
  for (const { container: c, field } of containersOf(obj)) {
    const env = (c.env ?? []) as K8sObject[];
    const delayVar = env.find((e) => e.name === 'SHUTDOWN_DELAY_MS');
    if (!delayVar) continue;
    const delayMs = Number(delayVar.value ?? 5000);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    // After the delay the server drains requests (10 s request timeout) and flushes the counter.
    if (grace < delayMs / 1000 + 10) {
      report(
        'spec.template.spec.terminationGracePeriodSeconds',
        `${grace}s leaves no room to drain and flush after SHUTDOWN_DELAY_MS=${delayMs}`,
      );
    }
    // A deleted pod leaves the endpoints when it is marked terminating, not when this probe
    // fails, so the probe is tuned for a broken volume: noticed within 30 s, never on one slow answer.
    const r = c.readinessProbe;
    if (r) {
      const worst = (r.periodSeconds ?? 10) * (r.failureThreshold ?? 3) + (r.timeoutSeconds ?? 1);
      if ((r.failureThreshold ?? 3) < 2) {
        report(`${field}.readinessProbe.failureThreshold`, 'one slow probe would take the pod out of the Service: use 2 or more');
      } else if (worst > 30) {
        report(
          `${field}.readinessProbe`,
          `a replica whose volume stopped taking writes keeps its traffic for up to ${worst}s (periodSeconds x failureThreshold + timeoutSeconds); keep it within 30 s`,
        );
      }
    }
  }
}

function envProblems(obj: RenderedObject, report: Report): void {
  const ns = obj.doc.metadata?.namespace;
  for (const { container: c, field } of containersOf(obj)) {
    const env = (c.env ?? []) as K8sObject[];
    env.forEach((e, i) => {
      if (e.name === 'PEER_SERVICE' && obj.doc.kind === 'StatefulSet') {
        const expected = `${obj.doc.spec.serviceName}.${ns}.svc.cluster.local`;
        if (e.value !== expected)
          report(
            `${field}.env[${i}].value`,
            `PEER_SERVICE is ${JSON.stringify(e.value)}, expected ${JSON.stringify(expected)} (serviceName in this namespace)`,
          );
      }
      if (e.name === 'POD_NAME' && e.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') {
        report(`${field}.env[${i}].valueFrom.fieldRef.fieldPath`, 'POD_NAME must come from the downward API (metadata.name)');
      }
    });
  }
}

function imageProblems(obj: RenderedObject, report: Report): void {
  for (const { container: c, field } of containersOf(obj)) {
    if (!DIGEST.test(String(c.image)))
      report(`${field}.image`, `${JSON.stringify(c.image)} is not pinned by digest (name@sha256:<64 hex>); set it with kustomize images:`);
  }
}

/** Checks on every workload's pod template. */
export function podTemplateProblems(objects: RenderedObject[], served: ServedRoutes): Problem[] {
  const problems: Problem[] = [];
  for (const obj of objects.filter(isWorkload)) {
    const report = reporter(obj, problems);
    restrictedProfileProblems(obj, report);
    probeProblems(obj, served, report);
    timingProblems(obj, report);
    envProblems(obj, report);
    imageProblems(obj, report);
  }
  return problems;
}

/** Every probe path in the rendered workloads: the suite asks the running service for each. */
export function probePaths(objects: RenderedObject[]): string[] {
  const paths = new Set<string>();
  for (const obj of objects.filter(isWorkload)) {
    for (const { container } of containersOf(obj)) {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const path = container[probe]?.httpGet?.path;
        if (typeof path === 'string') paths.add(path);
      }
    }
  }
  return [...paths].sort();
}
