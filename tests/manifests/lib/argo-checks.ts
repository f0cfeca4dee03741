import { CONTRACT } from './contract';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import type { RenderedObject } from './render';
import { describe, isRepoSource, type Repository } from './repository';

const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const EXACT_VERSION = /^\d+\.\d+\.\d+$/;
const MONITORING_CR_KINDS = new Set(['ServiceMonitor', 'PrometheusRule', 'PodMonitor']);
/** The cluster-scoped kinds an Application here could render (kinds.mjs has no other). */
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);
/** Go's filepath.Match metacharacters, which Argo CD's project lists accept. */
const GLOB = /[*?[\\]/;

type Report = (field: string, message: string) => void;
function reporter(obj: RenderedObject, problems: Problem[]): Report {
  return (field, message) => problems.push({ file: obj.file, object: describe(obj), field, message });
}

function wave(obj: RenderedObject): number {
  return Number(obj.doc.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
}

/** The API group of an object: the part of apiVersion before the slash ('' for core). */
function groupOf(doc: K8sObject): string {
  const apiVersion = String(doc.apiVersion ?? '');
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

/**
 * Argo CD 3.6.1's AppProject.IsGroupKindNamePermitted (pkg/apis/application/v1alpha1), for lists
 * without wildcards (projectProblems refuses those): a missing namespaceResourceWhitelist lets
 * every namespaced kind in, a missing or empty clusterResourceWhitelist none, and a cluster
 * entry without a name lets in every object of its kind.
 */
export function projectPermits(projectSpec: K8sObject, group: string, kind: string, name: string, namespaced: boolean): boolean {
  const matches = (e: K8sObject) => e.group === group && e.kind === kind;
  const whitelist: K8sObject[] | undefined = namespaced ? projectSpec.namespaceResourceWhitelist : projectSpec.clusterResourceWhitelist;
  const blacklist: K8sObject[] = (namespaced ? projectSpec.namespaceResourceBlacklist : projectSpec.clusterResourceBlacklist) ?? [];
  const named = (e: K8sObject) => namespaced || e.name === undefined || e.name === name;
  const allowed = namespaced && whitelist === undefined ? true : (whitelist ?? []).some((e) => matches(e) && named(e));
  return allowed && !blacklist.some((e) => matches(e) && named(e));
}

function listOption(value: unknown): string[] {
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
}

/** What the root Application manages must survive it: neither pruned nor deleted with it. */
function rootManagedProblems(obj: RenderedObject, report: Report): void {
  const options = listOption(obj.doc.metadata?.annotations?.['argocd.argoproj.io/sync-options']);
  if (!options.includes('Prune=false') || !options.includes('Delete=false'))
    report(
      'metadata.annotations["argocd.argoproj.io/sync-options"]',
      'must include Prune=false and Delete=false (root must never delete it)',
    );
}

function applicationProblems(repo: Repository, app: RenderedObject, report: Report): void {
  const { metadata, spec } = app.doc;
  // The root Application syncs clusters/<env>, itself included: with the cascade finalizer,
  // deleting or renaming it would delete every Application and workload below it.
  const isRoot = String(spec.source?.path ?? '').startsWith('clusters/');
  if (isRoot && (metadata.finalizers ?? []).includes(FINALIZER))
    report('metadata.finalizers', `the root Application must not carry ${FINALIZER}: deleting it would delete every child`);
  if (!isRoot && !(metadata.finalizers ?? []).includes(FINALIZER))
    report('metadata.finalizers', `must include ${FINALIZER}, so deleting the Application deletes what it deployed`);
  // Each cluster's root names its own folder: a new cluster copied from another must not sync that one.
  if (isRoot && spec.source.path.replace(/\/+$/, '') !== app.renderedFrom)
    report('spec.source.path', `must be ${app.renderedFrom}, the folder this root is applied from, so that it syncs itself`);
  if (app.file.startsWith('clusters/')) rootManagedProblems(app, report);
  if (!listOption(metadata.annotations?.['argocd.argoproj.io/compare-options']).includes('ServerSideDiff=true')) {
    report('metadata.annotations["argocd.argoproj.io/compare-options"]', 'must include ServerSideDiff=true');
  }
  const sync = spec.syncPolicy ?? {};
  if (sync.automated?.prune !== true) report('spec.syncPolicy.automated.prune', 'must be true');
  if (sync.automated?.selfHeal !== true) report('spec.syncPolicy.automated.selfHeal', 'must be true');
  if (!(sync.retry?.limit > 0)) report('spec.syncPolicy.retry.limit', 'must retry failed syncs (limit > 0)');
  const backoff = sync.retry?.backoff ?? {};
  if (!backoff.duration || !(backoff.factor > 1) || !backoff.maxDuration)
    report('spec.syncPolicy.retry.backoff', 'needs duration, factor > 1 and maxDuration');
  const options: string[] = sync.syncOptions ?? [];
  if (!options.includes('ServerSideApply=true')) report('spec.syncPolicy.syncOptions', 'must include ServerSideApply=true');
  const namespace = spec.destination?.namespace;
  const cluster = repo.renders.get(app.renderedFrom) ?? [];
  const createsNamespace = options.includes('CreateNamespace=true');
  const namespaceBeside = cluster.some((o) => o.doc.kind === 'Namespace' && o.doc.metadata?.name === namespace);
  if (namespace !== CONTRACT.argoNamespace && !createsNamespace && !namespaceBeside)
    report(
      'spec.syncPolicy.syncOptions',
      `nothing makes namespace ${JSON.stringify(namespace)}: a Namespace in ${app.renderedFrom} or CreateNamespace=true`,
    );

  const project = cluster.find((o) => o.doc.kind === 'AppProject' && o.doc.metadata?.name === spec.project);
  if (!project) {
    report('spec.project', `AppProject ${JSON.stringify(spec.project)} is not defined beside this Application`);
  } else {
    const destinations = (project.doc.spec?.destinations ?? []) as K8sObject[];
    if (
      !destinations.some((d) => d.namespace === namespace && (d.server ?? d.name) === (spec.destination?.server ?? spec.destination?.name))
    ) {
      report('spec.destination', `namespace ${JSON.stringify(namespace)} is not a destination of AppProject ${spec.project}`);
    }
  }
  if (project) permissionProblems(repo, app, project, createsNamespace ? namespace : undefined, report);
  const sources: K8sObject[] = spec.source ? [spec.source] : (spec.sources ?? []);
  sources.forEach((source, i) => {
    const field = spec.source ? 'spec.source' : `spec.sources[${i}]`;
    if (project && !(project.doc.spec?.sourceRepos ?? []).includes(source.repoURL))
      report(`${field}.repoURL`, `is not in AppProject ${spec.project}'s sourceRepos`);
    if (source.chart !== undefined && !EXACT_VERSION.test(String(source.targetRevision)))
      report(
        `${field}.targetRevision`,
        `chart ${source.chart} must be pinned to an exact version, got ${JSON.stringify(source.targetRevision)}`,
      );
    if (source.chart === undefined && !source.targetRevision) report(`${field}.targetRevision`, 'missing');
  });

  // Sync waves: an Application that deploys monitoring CRs comes after the one that brings their CRDs.
  const path = spec.source?.path;
  const deploysMonitoringCRs = path && (repo.renders.get(path) ?? []).some((o) => MONITORING_CR_KINDS.has(o.doc.kind));
  if (deploysMonitoringCRs) {
    const stack = (repo.renders.get(app.renderedFrom) ?? []).find(
      (o) => o.doc.kind === 'Application' && o.doc.spec?.source?.chart === 'kube-prometheus-stack',
    );
    if (!stack) report('-', 'deploys ServiceMonitor/PrometheusRule but no kube-prometheus-stack Application beside it brings their CRDs');
    else if (wave(stack) >= wave(app)) {
      report(
        'metadata.annotations["argocd.argoproj.io/sync-wave"]',
        `must be later than kube-prometheus-stack's wave (${wave(stack)}): its CRDs must exist first`,
      );
    }
  }
}

/**
 * What Argo CD would refuse to sync: every object rendered from the Application's path (and the
 * Namespace CreateNamespace makes) must be a kind, and for cluster-scoped kinds a name, that the
 * Application's project permits. A chart source is not rendered here, so it is not checked.
 */
function permissionProblems(
  repo: Repository,
  app: RenderedObject,
  project: RenderedObject,
  createdNamespace: string | undefined,
  report: Report,
): void {
  const path = app.doc.spec.source?.path;
  const objects = (path ? (repo.renders.get(path) ?? []) : []).map((o) => ({ doc: o.doc, from: o.file }));
  if (createdNamespace)
    objects.push({ doc: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: createdNamespace } }, from: 'CreateNamespace=true' });
  for (const { doc, from } of objects) {
    const namespaced = !CLUSTER_SCOPED_KINDS.has(doc.kind);
    if (!projectPermits(project.doc.spec ?? {}, groupOf(doc), doc.kind, doc.metadata?.name, namespaced))
      report(
        'spec.project',
        `AppProject ${app.doc.spec.project} does not permit ${doc.kind} ${JSON.stringify(doc.metadata?.name)} (${from}): Argo CD would refuse to sync it`,
      );
  }
}

function projectProblems(repo: Repository, project: RenderedObject, report: Report): void {
  if (project.file.startsWith('clusters/')) rootManagedProblems(project, report);
  const apps = (repo.renders.get(project.renderedFrom) ?? []).filter(
    (o) => o.doc.kind === 'Application' && o.doc.spec?.project === project.doc.metadata?.name,
  );
  const used = new Set(
    apps.flatMap((a) => (a.doc.spec.source ? [a.doc.spec.source] : (a.doc.spec.sources ?? []))).map((s: K8sObject) => s.repoURL),
  );
  const spec = project.doc.spec ?? {};
  (spec.sourceRepos ?? []).forEach((r: string, i: number) => {
    if (r.includes('*')) report(`spec.sourceRepos[${i}]`, 'no wildcards: list this repository and the chart repositories in use');
    else if (!used.has(r)) report(`spec.sourceRepos[${i}]`, `${r} is used by no Application of this project`);
  });
  const namespaces = new Set(apps.map((a) => a.doc.spec.destination?.namespace));
  (spec.destinations ?? []).forEach((d: K8sObject, i: number) => {
    if (String(d.namespace).includes('*') || String(d.server ?? d.name).includes('*'))
      report(`spec.destinations[${i}]`, "no wildcards: only this cluster's own namespaces");
    else if (!namespaces.has(d.namespace))
      report(`spec.destinations[${i}].namespace`, `${d.namespace} is the destination of no Application of this project`);
    if (d.server && d.server !== 'https://kubernetes.default.svc')
      report(`spec.destinations[${i}].server`, 'only this cluster (https://kubernetes.default.svc)');
  });
  (spec.clusterResourceWhitelist ?? []).forEach((k: K8sObject, i: number) => {
    if (GLOB.test(k.group) || GLOB.test(k.kind))
      report(`spec.clusterResourceWhitelist[${i}]`, 'no wildcards: list the cluster-scoped kinds one by one');
    // A project that may write any Namespace may relabel one privileged, or adopt (and then
    // prune) another application's.
    if (k.kind === 'Namespace' && (k.name === undefined || GLOB.test(k.name)))
      report(`spec.clusterResourceWhitelist[${i}]`, 'a Namespace entry must name exactly one namespace (name, no wildcard)');
  });
  (spec.namespaceResourceWhitelist ?? []).forEach((k: K8sObject, i: number) => {
    if (GLOB.test(k.group) || GLOB.test(k.kind)) report(`spec.namespaceResourceWhitelist[${i}]`, 'no wildcards: list the kinds one by one');
  });
  // What a merge into apps/ can reach: only kinds listed one by one, inside its namespace.
  const syncsApps = apps.some((a) => String(a.doc.spec.source?.path ?? '').startsWith('apps/'));
  if (syncsApps && (spec.clusterResourceWhitelist ?? []).length > 0)
    report(
      'spec.clusterResourceWhitelist',
      'must be empty: a project that syncs apps/ may create no cluster-scoped object, not even its Namespace',
    );
  if (syncsApps && spec.namespaceResourceWhitelist === undefined)
    report('spec.namespaceResourceWhitelist', 'must list the kinds apps/ may create (absent, it lets every namespaced kind in)');
}

/** All Applications that use this repository agree on its URL and revision. */
function sourceConsistencyProblems(repo: Repository, problems: Problem[]): void {
  const repoSources = repo.sources.filter(isRepoSource);
  const first = repoSources[0];
  for (const s of repoSources.slice(1)) {
    const report = reporter(s.app, problems);
    if (s.repoURL !== first.repoURL)
      report(`${s.field}.repoURL`, `${s.repoURL} differs from ${first.repoURL} (${first.app.file}): run scripts/set-repo.mjs`);
    if (s.targetRevision !== first.targetRevision)
      report(
        `${s.field}.targetRevision`,
        `${s.targetRevision} differs from ${first.targetRevision} (${first.app.file}): run scripts/set-repo.mjs`,
      );
  }
}

export function argoProblems(repo: Repository): Problem[] {
  const problems: Problem[] = [];
  for (const obj of repo.objects) {
    const report = reporter(obj, problems);
    if (obj.doc.kind === 'Application') applicationProblems(repo, obj, report);
    if (obj.doc.kind === 'AppProject') projectProblems(repo, obj, report);
    // Pruning or deleting a namespace root made would delete everything in it, the claims too.
    if (obj.doc.kind === 'Namespace' && obj.file.startsWith('clusters/')) rootManagedProblems(obj, report);
    if (
      MONITORING_CR_KINDS.has(obj.doc.kind) &&
      !listOption(obj.doc.metadata?.annotations?.['argocd.argoproj.io/sync-options']).includes('SkipDryRunOnMissingResource=true')
    ) {
      report(
        'metadata.annotations["argocd.argoproj.io/sync-options"]',
        'must include SkipDryRunOnMissingResource=true: the CRD may not exist yet at the first sync',
      );
    }
  }
  sourceConsistencyProblems(repo, problems);
  return problems;
}
