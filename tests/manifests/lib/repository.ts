import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import { objectId, renderKustomization, type RenderedObject } from './render';

/** An Application source (spec.source or one of spec.sources) and the object that holds it. */
export interface AppSource {
  app: RenderedObject;
  /** Field path of this source inside the Application. */
  field: string;
  repoURL: string;
  targetRevision: string | undefined;
  path: string | undefined;
  chart: string | undefined;
}

/** Everything Argo CD would render from this repository, starting at clusters/<name>/. */
export interface Repository {
  root: string;
  /** The directories a person applies by hand: clusterDirs(root). */
  entryPoints: string[];
  /** Rendered directory -> its objects. */
  renders: Map<string, RenderedObject[]>;
  /** Every rendered object, once. */
  objects: RenderedObject[];
  /** Every Application source found in any render. */
  sources: AppSource[];
  /** Render failures and Application paths that do not exist. */
  problems: Problem[];
}

export function describe(obj: RenderedObject): string {
  return `${objectId(obj.doc)} (rendered from ${obj.renderedFrom})`;
}

function sourcesOf(app: RenderedObject): AppSource[] {
  const spec = app.doc.spec ?? {};
  const list: [string, K8sObject][] = [];
  if (spec.source) list.push(['spec.source', spec.source]);
  (spec.sources ?? []).forEach((s: K8sObject, i: number) => list.push([`spec.sources[${i}]`, s]));
  return list.map(([field, s]) => ({ app, field, repoURL: s.repoURL, targetRevision: s.targetRevision, path: s.path, chart: s.chart }));
}

/** A source that is this repository: a git source (no Helm `chart`). */
export function isRepoSource(source: AppSource): boolean {
  return source.chart === undefined;
}

/** The shared part of every cluster (clusters/base/): rendered only through the clusters. */
const CLUSTER_BASE = 'clusters/base';

/** Every cluster: each clusters/<name>/ with a kustomization, but the shared base. */
export function clusterDirs(root: string): string[] {
  const clustersDir = join(root, 'clusters');
  if (!existsSync(clustersDir)) return [];
  return readdirSync(clustersDir)
    .map((name) => `clusters/${name}`)
    .filter((dir) => dir !== CLUSTER_BASE && statSync(join(root, dir)).isDirectory() && existsSync(join(root, dir, 'kustomization.yaml')))
    .sort();
}

/**
 * Renders every cluster entry point, then every Application path whose source is this
 * repository, following Applications found in those renders (app of apps) until none is new.
 * `only` limits the entry points (the breakage tests render one cluster to stay fast);
 * `comparePlain` also proves each render equals plain `kubectl kustomize` (see render.ts).
 */
export async function loadRepository(root: string, options: { only?: string[]; comparePlain?: boolean } = {}): Promise<Repository> {
  const { only, comparePlain = false } = options;
  const entryPoints = only ?? clusterDirs(root);
  const repo: Repository = { root, entryPoints, renders: new Map(), objects: [], sources: [], problems: [] };
  if (entryPoints.length === 0) {
    repo.problems.push({ file: 'clusters/', object: '-', field: '-', message: 'no clusters/<name>/kustomization.yaml entry point found' });
  }
  let pending = entryPoints.map((dir) => ({ dir, from: undefined as AppSource | undefined }));
  while (pending.length) {
    const batch = pending.filter(({ dir }, i) => !repo.renders.has(dir) && pending.findIndex((p) => p.dir === dir) === i);
    pending = [];
    const results = await Promise.all(
      batch.map(async ({ dir, from }) => {
        try {
          return { dir, objects: await renderKustomization(root, dir, comparePlain) };
        } catch (err) {
          repo.problems.push({
            file: from ? from.app.file : `${dir}/kustomization.yaml`,
            object: from ? describe(from.app) : dir,
            field: from ? `${from.field}.path` : '-',
            message: `kubectl kustomize ${dir} failed: ${(err as Error).message.split('\n')[0]}`,
          });
          return { dir, objects: [] as RenderedObject[] };
        }
      }),
    );
    for (const { dir, objects } of results) {
      repo.renders.set(dir, objects);
      repo.objects.push(...objects);
      for (const app of objects.filter((o) => o.doc.kind === 'Application' && o.doc.apiVersion === 'argoproj.io/v1alpha1')) {
        for (const source of sourcesOf(app)) {
          repo.sources.push(source);
          if (!isRepoSource(source)) continue;
          const target = checkPath(repo, source);
          if (target && !repo.renders.has(target)) pending.push({ dir: target, from: source });
        }
      }
    }
  }
  return repo;
}

/** The repository-relative directory an Application path names, or undefined (with a problem). */
function checkPath(repo: Repository, source: AppSource): string | undefined {
  const problem = (message: string) =>
    repo.problems.push({ file: source.app.file, object: describe(source.app), field: `${source.field}.path`, message });
  if (!source.path) {
    problem('a source from this repository needs a path');
    return undefined;
  }
  const normalized = normalize(source.path).replace(/\/+$/, '');
  if (isAbsolute(source.path) || normalized.startsWith('..')) {
    problem(`path "${source.path}" leaves the repository`);
    return undefined;
  }
  const absolute = resolve(repo.root, normalized);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    problem(`path "${source.path}" does not exist in the repository`);
    return undefined;
  }
  if (!existsSync(join(absolute, 'kustomization.yaml'))) {
    problem(`path "${source.path}" has no kustomization.yaml, so Argo CD would not render it with kustomize`);
    return undefined;
  }
  return relative(repo.root, absolute);
}
