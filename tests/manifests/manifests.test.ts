/**
 * The repository's own manifests, rendered the way Argo CD's repo server renders them and
 * validated: schemas (Kubernetes v1.36 OpenAPI via kubernetes-models, the Argo CD and
 * prometheus-operator CRDs; unknown fields rejected) and the cross-checks of lib/.
 * Real parts only: kubectl kustomize, the model packages' validators, the built service.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { probePaths } from './lib/pod-checks';
import { formatProblems } from './lib/problems';
import { renderKustomization } from './lib/render';
import { loadRepository, type Repository } from './lib/repository';
import { stopModelValidator, vendoredPackageVersions } from './lib/schema';
import { RouteOracle } from './lib/service-routes';
import { validateRepository } from './lib/validate-repository';
import { REPO_ROOT } from '../support/repo-root';

/** The clusters docs/deploy.md lists under "What gets deployed", one line each (adding a cluster). */
function documentedClusters(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'docs/deploy.md'), 'utf8');
  return [...text.matchAll(/^(clusters\/[a-z0-9-]+)\/ /gm)].map((m) => m[1]).filter((dir) => dir !== 'clusters/base');
}

let repo: Repository;
let oracle: RouteOracle;

beforeAll(async () => {
  [repo, oracle] = await Promise.all([loadRepository(REPO_ROOT, { comparePlain: true }), RouteOracle.start()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([oracle?.stop(), stopModelValidator()]);
});

describe('the manifests in this repository', () => {
  test('every cluster entry point and every Application path from this repository renders', () => {
    expect(formatProblems(repo.problems)).toBe('');
    // Every folder in clusters/ but base, and each one documented: a new cluster needs no edit here.
    expect(repo.entryPoints).toEqual(documentedClusters().sort());
    expect(repo.entryPoints).toEqual(expect.arrayContaining(['clusters/dev', 'clusters/prod']));
    const overlays = readdirSync(join(REPO_ROOT, 'apps/visits/envs')).map((env) => `apps/visits/envs/${env}`);
    // argocd/: Argo CD's own settings, which every cluster's argocd-config Application syncs.
    expect([...repo.renders.keys()].sort()).toEqual([...overlays, 'argocd', ...repo.entryPoints].sort());
  });

  test('pass the schemas and every cross-check', async () => {
    const served = await oracle.statuses(probePaths(repo.objects));
    expect(formatProblems(await validateRepository(repo, served))).toBe('');
  });

  test('probe paths are routes the running service answers 200 once started', async () => {
    const paths = probePaths(repo.objects);
    expect(paths).toEqual(['/health/live', '/health/ready', '/health/startup']);
    const served = await oracle.statuses(paths);
    for (const path of paths) expect([path, served.get(path)]).toEqual([path, 200]);
  });

  test('dev and prod each run the StatefulSet, both Services, PDB, NetworkPolicy and the monitoring component', () => {
    for (const [path, namespace] of [
      ['apps/visits/envs/dev', 'visits'],
      ['apps/visits/envs/prod', 'visits-prod'],
    ]) {
      const ids = repo.renders.get(path)!.map((o) => `${o.doc.kind} ${o.doc.metadata.namespace}/${o.doc.metadata.name}`);
      for (const expected of [
        `StatefulSet ${namespace}/visits`,
        `Service ${namespace}/visits`,
        `Service ${namespace}/visits-headless`,
        `ServiceAccount ${namespace}/visits`,
        `PodDisruptionBudget ${namespace}/visits`,
        `NetworkPolicy ${namespace}/visits`,
        `ServiceMonitor ${namespace}/visits`,
        `PrometheusRule ${namespace}/visits`,
      ]) {
        expect(ids).toContain(expected);
      }
    }
  });

  test('the image pin has the shape docs/deploy.md gives the release job, and rewriting it changes only the image', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'visits-pin-'));
    try {
      await cp(join(REPO_ROOT, 'apps'), join(copy, 'apps'), { recursive: true });
      const released = `sha256:${'ab'.repeat(32)}`;
      for (const env of ['dev', 'prod']) {
        const path = `apps/visits/envs/${env}`;
        const file = join(copy, path, 'kustomization.yaml');
        const text = readFileSync(file, 'utf8');
        expect(text.match(/^ {4}digest: sha256:[0-9a-f]{64}$/gm)).toHaveLength(1);
        expect(text).toMatch(/^images:\n {2}- name: visits\n {4}newName: ghcr\.io\/[a-z0-9-]+\/visits\n {4}digest: /m);
        // What the release job does (docs/deploy.md#image-pin): rewrite that one line.
        writeFileSync(file, text.replace(/^( {4}digest: )sha256:[0-9a-f]{64}$/m, `$1${released}`));
        const before = repo.renders.get(path)!.map((o) => o.doc);
        const after = (await renderKustomization(copy, path)).map((o) => o.doc);
        const image = (docs: typeof before) => docs.find((d) => d.kind === 'StatefulSet')!.spec.template.spec.containers[0].image as string;
        expect(image(before)).toMatch(/^ghcr\.io\/[a-z0-9-]+\/visits@sha256:[0-9a-f]{64}$/);
        expect(image(after)).toBe(image(before).replace(/sha256:[0-9a-f]{64}$/, released));
        expect(JSON.stringify(after).replace(released, 'X')).toBe(JSON.stringify(before).replace(/sha256:[0-9a-f]{64}/, 'X'));
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  test('the vendored strict schemas come from the installed model packages', () => {
    const installed = Object.fromEntries(
      Object.keys(vendoredPackageVersions()).map((name) => [
        name,
        (JSON.parse(readFileSync(resolve(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version,
      ]),
    );
    expect(vendoredPackageVersions()).toEqual(installed);
  });
});
