import { CONTRACT } from './contract';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import type { RenderedObject } from './render';
import { describe } from './repository';
import { selects } from '../../support/label-selector';
import { containersOf, declaresPort, isWorkload, podLabels, serviceSelects, siblings } from './workloads';

type Report = (field: string, message: string) => void;
function reporter(obj: RenderedObject, problems: Problem[]): Report {
  return (field, message) => problems.push({ file: obj.file, object: describe(obj), field, message });
}

function workloadsSelectedBy(objects: RenderedObject[], service: RenderedObject): RenderedObject[] {
  return objects.filter(
    (o) =>
      isWorkload(o) &&
      o.renderedFrom === service.renderedFrom &&
      o.doc.metadata?.namespace === service.doc.metadata?.namespace &&
      serviceSelects(service.doc, podLabels(o)),
  );
}

/** StatefulSets: governing headless Service, the Argo CD traps (docs/deploy.md#argo-cd-traps), the PDB. */
function statefulSetProblems(objects: RenderedObject[], sts: RenderedObject, report: Report): void {
  const spec = sts.doc.spec;
  const services = siblings(objects, sts, 'Service');
  const governing = services.find((s) => s.doc.metadata?.name === spec.serviceName);
  if (!spec.serviceName) report('spec.serviceName', 'missing: a StatefulSet needs its governing headless Service');
  else if (!governing) report('spec.serviceName', `names Service ${JSON.stringify(spec.serviceName)}, which is not in this render`);
  else if (governing.doc.spec?.clusterIP !== 'None')
    report('spec.serviceName', `Service ${spec.serviceName} is not headless (clusterIP: None)`);
  else if (!serviceSelects(governing.doc, podLabels(sts)))
    report('spec.serviceName', `Service ${spec.serviceName} does not select this StatefulSet's pods`);

  const labels = podLabels(sts);
  const matchLabels: Record<string, string> = spec.selector?.matchLabels ?? {};
  if (!selects(spec.selector, labels)) report('spec.selector', 'does not select the pod template labels');
  for (const key of Object.keys(matchLabels)) {
    if (!CONTRACT.selectorKeys.includes(key))
      report(
        `spec.selector.matchLabels["${key}"]`,
        'selectors are immutable: only app.kubernetes.io/name may select (did kustomize labels/commonLabels add it?)',
      );
  }
  if (spec.selector?.matchExpressions?.length)
    report('spec.selector.matchExpressions', 'selectors are immutable: select with matchLabels app.kubernetes.io/name only');
  for (const [k, v] of Object.entries(CONTRACT.labels)) {
    if (labels[k] !== v) report(`spec.template.metadata.labels["${k}"]`, `must be ${JSON.stringify(v)} (docs/architecture.md#names)`);
  }

  const retention = spec.persistentVolumeClaimRetentionPolicy ?? {};
  for (const when of ['whenDeleted', 'whenScaled']) {
    if (retention[when] !== 'Retain')
      report(
        `spec.persistentVolumeClaimRetentionPolicy.${when}`,
        "must be Retain: a replica's count outlives the StatefulSet and scale-downs",
      );
  }
  const mounted = new Set<string>(
    containersOf(sts).flatMap(({ container }) => (container.volumeMounts ?? []).map((m: K8sObject) => m.name)),
  );
  (spec.volumeClaimTemplates ?? []).forEach((t: K8sObject, i: number) => {
    const at = `spec.volumeClaimTemplates[${i}]`;
    if (t.apiVersion !== 'v1') report(`${at}.apiVersion`, 'write apiVersion: v1, or Argo CD shows the StatefulSet OutOfSync forever');
    if (t.kind !== 'PersistentVolumeClaim')
      report(`${at}.kind`, 'write kind: PersistentVolumeClaim, or Argo CD shows the StatefulSet OutOfSync forever');
    if (!mounted.has(t.metadata?.name)) report(`${at}.metadata.name`, `${JSON.stringify(t.metadata?.name)} is mounted by no container`);
  });
  const pdb = siblings(objects, sts, 'PodDisruptionBudget').find((p) => selects(p.doc.spec?.selector, labels));
  if (!pdb) report('-', 'no PodDisruptionBudget selects these pods');
  const tsc = (sts.doc.spec.template.spec?.topologySpreadConstraints ?? []) as K8sObject[];
  if (!tsc.some((c) => selects(c.labelSelector, labels)))
    report('spec.template.spec.topologySpreadConstraints', 'no constraint spreads these pods over nodes');
}

/** The fixed names and shapes of docs/architecture.md#names, in every render that has the visits StatefulSet. */
function designProblems(objects: RenderedObject[], sts: RenderedObject, report: Report): void {
  const spec = sts.doc.spec;
  if (spec.serviceName !== CONTRACT.headlessService)
    report('spec.serviceName', `must be ${CONTRACT.headlessService} (docs/architecture.md#names)`);
  if (spec.podManagementPolicy !== 'Parallel')
    report('spec.podManagementPolicy', 'must be Parallel: replicas share no state (docs/architecture.md#names)');
  if (spec.updateStrategy?.type !== 'RollingUpdate') report('spec.updateStrategy.type', 'must be RollingUpdate');
  const container = (spec.template.spec?.containers ?? [])[0] ?? {};
  const port = (container.ports ?? []).find((p: K8sObject) => p.name === CONTRACT.portName);
  if (!port || port.containerPort !== CONTRACT.containerPort)
    report('spec.template.spec.containers[0].ports', `must declare ${CONTRACT.containerPort} named ${CONTRACT.portName}`);
  const monitor = (container.ports ?? []).find((p: K8sObject) => p.name === CONTRACT.monitorPortName);
  if (!monitor || monitor.containerPort !== CONTRACT.monitorPort)
    report('spec.template.spec.containers[0].ports', `must declare ${CONTRACT.monitorPort} named ${CONTRACT.monitorPortName}`);
  const data = (container.volumeMounts ?? []).find((m: K8sObject) => m.name === CONTRACT.pvcTemplate);
  if (data?.mountPath !== CONTRACT.dataMountPath)
    report(
      'spec.template.spec.containers[0].volumeMounts',
      `the ${CONTRACT.pvcTemplate} volume must mount at ${CONTRACT.dataMountPath} (the image's ./data)`,
    );
  const pod = spec.template.spec ?? {};
  if (
    pod.securityContext?.runAsUser !== CONTRACT.uid ||
    pod.securityContext?.runAsGroup !== CONTRACT.gid ||
    pod.securityContext?.fsGroup !== CONTRACT.gid
  ) {
    report('spec.template.spec.securityContext', `runAsUser, runAsGroup and fsGroup must be ${CONTRACT.uid} (the image's user)`);
  }
  if (pod.terminationGracePeriodSeconds !== CONTRACT.terminationGracePeriodSeconds)
    report('spec.template.spec.terminationGracePeriodSeconds', `must be ${CONTRACT.terminationGracePeriodSeconds}`);
  const tmp = (container.volumeMounts ?? []).find((m: K8sObject) => m.mountPath === '/tmp');
  const tmpVolume = (pod.volumes ?? []).find((v: K8sObject) => v.name === tmp?.name);
  if (!tmpVolume?.emptyDir) report('spec.template.spec.volumes', '/tmp must be an emptyDir (the root filesystem is read-only)');
  const template = (spec.volumeClaimTemplates ?? []).find((t: K8sObject) => t.metadata?.name === CONTRACT.pvcTemplate);
  if (!template)
    report('spec.volumeClaimTemplates', `must have the template ${JSON.stringify(CONTRACT.pvcTemplate)} (docs/architecture.md#names)`);
  else if (JSON.stringify(template.spec?.accessModes) !== '["ReadWriteOnce"]')
    report('spec.volumeClaimTemplates[0].spec.accessModes', 'must be [ReadWriteOnce]');
  const headless = siblings(objects, sts, 'Service').find((s) => s.doc.metadata?.name === CONTRACT.headlessService);
  if (!headless) report('-', `no Service ${CONTRACT.headlessService} beside the StatefulSet`);
  const client = siblings(objects, sts, 'Service').find((s) => s.doc.metadata?.name === CONTRACT.clientService);
  const clientPort = (client?.doc.spec?.ports ?? []).find((p: K8sObject) => p.port === CONTRACT.clientServicePort);
  if (!client || client.doc.spec?.clusterIP === 'None' || clientPort?.targetPort !== CONTRACT.portName) {
    report(
      '-',
      `needs the client Service ${CONTRACT.clientService} (ClusterIP, port ${CONTRACT.clientServicePort} -> ${CONTRACT.portName})`,
    );
  }
  if (sts.renderedFrom === CONTRACT.dev.path) {
    if (sts.doc.metadata?.namespace !== CONTRACT.dev.namespace)
      report('metadata.namespace', `dev runs in ${CONTRACT.dev.namespace} (docs/architecture.md#names)`);
    if (spec.replicas !== CONTRACT.dev.replicas) report('spec.replicas', `dev runs ${CONTRACT.dev.replicas} replicas, like the seed lab`);
    if (template?.spec?.resources?.requests?.storage !== CONTRACT.dev.storage)
      report('spec.volumeClaimTemplates[0].spec.resources.requests.storage', `dev asks ${CONTRACT.dev.storage}, like the seed lab`);
    if (template?.spec?.storageClassName !== undefined)
      report(
        'spec.volumeClaimTemplates[0].spec.storageClassName',
        `${JSON.stringify(template.spec.storageClassName)}: dev uses the cluster's default StorageClass; a cluster that needs another names it in clusters/<name>/`,
      );
  }
}

/** Services select pods and target ports the containers declare. */
function serviceProblems(objects: RenderedObject[], service: RenderedObject, report: Report): void {
  const selected = workloadsSelectedBy(objects, service);
  if (!service.doc.spec?.selector || Object.keys(service.doc.spec.selector).length === 0) {
    report('spec.selector', 'missing: the Service would select no pods');
    return;
  }
  if (selected.length === 0) {
    report('spec.selector', `${JSON.stringify(service.doc.spec.selector)} selects no pods in this render`);
    return;
  }
  (service.doc.spec.ports ?? []).forEach((p: K8sObject, i: number) => {
    const target = p.targetPort ?? p.port;
    for (const w of selected) {
      if (!declaresPort(w, target))
        report(`spec.ports[${i}].targetPort`, `${JSON.stringify(target)} is not a port declared by ${describe(w)}`);
    }
  });
}

/** Ingress only to declared ports; egress only to DNS and the peers. Reported on the policy. */
function networkPolicyProblems(objects: RenderedObject[], workload: RenderedObject, problems: Problem[]): void {
  const labels = podLabels(workload);
  const policies = siblings(objects, workload, 'NetworkPolicy').filter((p) => selects(p.doc.spec?.podSelector, labels));
  if (policies.length === 0) {
    reporter(workload, problems)('-', 'no NetworkPolicy selects these pods');
    return;
  }
  for (const policy of policies) {
    const report = reporter(policy, problems);
    const types: string[] = policy.doc.spec.policyTypes ?? [];
    if (!types.includes('Ingress') || !types.includes('Egress'))
      report('spec.policyTypes', 'must list Ingress and Egress (default deny both ways)');
    (policy.doc.spec.ingress ?? []).forEach((rule: K8sObject, i: number) => {
      if (!rule.ports?.length) report(`spec.ingress[${i}].ports`, 'missing: ingress is allowed only to the http and monitor ports');
      (rule.ports ?? []).forEach((p: K8sObject, j: number) => {
        if (![CONTRACT.portName, CONTRACT.containerPort, CONTRACT.monitorPortName, CONTRACT.monitorPort].includes(p.port))
          report(
            `spec.ingress[${i}].ports[${j}].port`,
            `${JSON.stringify(p.port)}: ingress is allowed only to ${CONTRACT.portName} and ${CONTRACT.monitorPortName}`,
          );
        else if (!declaresPort(workload, p.port))
          report(`spec.ingress[${i}].ports[${j}].port`, `${JSON.stringify(p.port)} is not a port of ${describe(workload)}`);
      });
      if (!rule.from?.length) report(`spec.ingress[${i}].from`, 'missing: ingress from anywhere is not allowed');
    });
    // A ServiceMonitor beside the pods means Prometheus must get in, from its own namespace.
    const monitored = siblings(objects, workload, 'ServiceMonitor').length > 0;
    const toMonitor = (rule: K8sObject) =>
      (rule.ports ?? []).some((p: K8sObject) => p.port === CONTRACT.monitorPortName || p.port === CONTRACT.monitorPort);
    const prometheusIn = (policy.doc.spec.ingress ?? []).some(
      (rule: K8sObject) =>
        toMonitor(rule) &&
        (rule.from ?? []).some((peer: K8sObject) => {
          const ns = peer.namespaceSelector;
          // No pod selector, or one that Prometheus's own pod labels satisfy.
          const pods = peer.podSelector as K8sObject | undefined;
          const admitsPrometheus =
            !pods ||
            (!pods.matchExpressions?.length &&
              Object.entries((pods.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => CONTRACT.prometheusPodLabels[k] === v));
          return (
            ns &&
            admitsPrometheus &&
            (Object.keys(ns).length === 0 || ns.matchLabels?.['kubernetes.io/metadata.name'] === CONTRACT.monitoringNamespace)
          );
        }),
    );
    if (monitored && !prometheusIn)
      report(
        'spec.ingress',
        `Prometheus (namespace ${CONTRACT.monitoringNamespace}) cannot reach the ${CONTRACT.monitorPortName} port: the ServiceMonitor would find every target down`,
      );
    (policy.doc.spec.egress ?? []).forEach((rule: K8sObject, i: number) => {
      const ports = (rule.ports ?? []) as K8sObject[];
      const to = (rule.to ?? []) as K8sObject[];
      const dns =
        ports.length > 0 &&
        ports.every((p) => p.port === 53) &&
        to.length > 0 &&
        to.every(
          (t) =>
            (t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system' &&
              t.podSelector?.matchLabels?.['k8s-app'] === 'kube-dns') ||
            // One address (NodeLocal DNSCache's, or a provider's resolver), never a range.
            (typeof t.ipBlock?.cidr === 'string' && t.ipBlock.cidr.endsWith('/32') && !t.ipBlock.except),
        );
      const peers =
        ports.length > 0 &&
        ports.every((p) => p.port === CONTRACT.portName || p.port === CONTRACT.containerPort) &&
        to.length > 0 &&
        to.every((t) => !t.namespaceSelector && !t.ipBlock && selects(t.podSelector, labels));
      if (!dns && !peers)
        report(
          `spec.egress[${i}]`,
          'egress is allowed only to cluster DNS (kube-dns in kube-system or one DNS address, port 53) and to the peers on http',
        );
    });
  }
}

/** Each pod is scraped through exactly one Service; endpoints name a Service port. */
function serviceMonitorProblems(objects: RenderedObject[], monitor: RenderedObject, report: Report): void {
  const services = siblings(objects, monitor, 'Service').filter((s) => selects(monitor.doc.spec?.selector, s.doc.metadata?.labels ?? {}));
  if (services.length === 0) {
    report('spec.selector', 'selects no Service in this namespace');
    return;
  }
  const pods = new Map<string, string[]>();
  for (const s of services)
    for (const w of workloadsSelectedBy(objects, s)) pods.set(describe(w), [...(pods.get(describe(w)) ?? []), s.doc.metadata.name]);
  for (const [workload, via] of pods) {
    if (via.length > 1)
      report(
        'spec.selector',
        `selects Services ${via.join(', ')}, which all front ${workload}: every sample would be scraped ${via.length} times`,
      );
  }
  (monitor.doc.spec?.endpoints ?? []).forEach((e: K8sObject, i: number) => {
    if (e.path === '/metrics' && e.port !== CONTRACT.monitorPortName)
      report(`spec.endpoints[${i}].port`, `${JSON.stringify(e.port)}: /metrics is served on ${CONTRACT.monitorPortName} only`);
    for (const s of services) {
      if (e.port && !(s.doc.spec?.ports ?? []).some((p: K8sObject) => p.name === e.port))
        report(`spec.endpoints[${i}].port`, `${JSON.stringify(e.port)} is not a port name of Service ${s.doc.metadata.name}`);
    }
  });
}

export function topologyProblems(objects: RenderedObject[]): Problem[] {
  const problems: Problem[] = [];
  for (const obj of objects) {
    const report = reporter(obj, problems);
    if (obj.doc.kind === 'StatefulSet') {
      statefulSetProblems(objects, obj, report);
      if (obj.doc.metadata?.name === CONTRACT.statefulSet) designProblems(objects, obj, report);
    }
    if (isWorkload(obj)) networkPolicyProblems(objects, obj, problems);
    if (obj.doc.kind === 'Service') serviceProblems(objects, obj, report);
    if (obj.doc.kind === 'ServiceMonitor') serviceMonitorProblems(objects, obj, report);
    if (obj.doc.kind === 'ServiceAccount' && obj.doc.automountServiceAccountToken !== false)
      report('automountServiceAccountToken', 'must be false');
  }
  return problems;
}
