import { CONTRACT } from './contract';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import type { RenderedObject } from './render';
import { describe, isRepoSource, type Repository } from './repository';

const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const EXACT_VERSION = /^\d+\.\d+\.\d+$/;
const MONITORING_CR_KINDS = new Set(['ServiceMonitor', 'PrometheusRule', 'PodMonitor']);

type Report = (field: string, message: string) => void;
function reporter(obj: RenderedObject, problems: Problem[]): Report {
  return (field, message) => problems.push({ file: obj.file, object: describe(obj), field, message });
}

function wave(obj: RenderedObject): number {
  return Number(obj.doc.metadata?.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
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
  if (namespace !== CONTRACT.argoNamespace && !options.includes('CreateNamespace=true'))
    report('spec.syncPolicy.syncOptions', 'must include CreateNamespace=true');

  const project = repo.renders.get(app.renderedFrom)?.find((o) => o.doc.kind === 'AppProject' && o.doc.metadata?.name === spec.project);
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
    if (k.group === '*' || k.kind === '*')
      report(`spec.clusterResourceWhitelist[${i}]`, 'no wildcards: list the cluster-scoped kinds one by one');
  });
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
