import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/repo-root';

/**
 * The kind path (scripts/cluster-up.sh and scripts/cluster-kind.sh, the e2e-kind workflow) cannot
 * run on this project's machines (no Docker, no registry to pull a node image from: kind answers
 * "failed to pull image docker.io/kindest/node@sha256:…"); what can be checked here is that it is
 * pinned to the same versions as the local real cluster, and loads images the way that works with
 * Docker's containerd image store.
 */
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const clusterUp = read('scripts/cluster-up.sh');
const clusterKind = read('scripts/cluster-kind.sh');
const nodeImage = read('scripts/lib/kind-node-image.sh');

/** The default of `NAME="${NAME:-default}"` in one of the kind scripts. */
function scriptDefault(name: string, text = clusterUp): string {
  const match = new RegExp(`^${name}="\\$\\{${name}:-([^}]+)\\}"$`, 'm').exec(text);
  if (!match) throw new Error(`no default for ${name}`);
  return match[1]!;
}

/** The version a tools/ module pins for `module`. */
function pinned(tool: string, module: string): string {
  const match = new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm').exec(read(`tools/${tool}/go.mod`));
  if (!match) throw new Error(`tools/${tool}/go.mod does not require ${module}`);
  return match[1]!;
}

test('the kind node image is pinned by digest, on the Kubernetes minor of the local real cluster', () => {
  const image = scriptDefault('KIND_NODE_IMAGE', nodeImage);
  expect(image).toMatch(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
  const minor = (version: string) => version.split('.').slice(0, 2).join('.');
  expect(minor(/:(v[\d.]+)@/.exec(image)![1]!)).toBe(minor(pinned('kubernetes', 'k8s.io/kubernetes')));
  for (const script of [clusterUp, clusterKind]) {
    expect(script).toMatch(/^\. scripts\/lib\/kind-node-image\.sh$/m);
    expect(script).toMatch(/kind create cluster [^\n]*--image "\$KIND_NODE_IMAGE"/);
  }
});

test('kind gets the Argo CD version the local real cluster builds', () => {
  expect(scriptDefault('ARGOCD_VERSION')).toBe(pinned('argocd', 'github.com/argoproj/argo-cd/v3'));
});

test("images reach the nodes as a one-platform archive (Docker's containerd image store breaks `kind load docker-image`)", () => {
  for (const script of [clusterUp, clusterKind]) {
    expect(script).not.toMatch(/^\s*kind load docker-image/m);
    expect(script).toMatch(/docker image save --platform /);
    expect(script).toMatch(/kind load image-archive "\$archive"/);
  }
});

test('both e2e-kind jobs install the kind release whose node image the scripts pin', () => {
  type Step = { uses?: string; with?: Record<string, unknown> };
  const workflow = parse(read('.github/workflows/e2e-kind.yml')) as { jobs: Record<string, { steps: Step[] }> };
  const versions = Object.entries(workflow.jobs).map(([name, job]) => [
    name,
    job.steps.find((step) => step.uses?.startsWith('helm/kind-action@'))?.with?.version,
  ]);
  expect(versions).toEqual([
    ['kind', 'v0.32.0'],
    ['scenario', 'v0.32.0'],
  ]);
  expect(nodeImage).toMatch(/kind v0\.32\.0's default/);
});

test('the scenario job runs tests/cluster against kind through the contract, and deletes the cluster whatever happened', () => {
  const workflow = parse(read('.github/workflows/e2e-kind.yml')) as { jobs: { scenario: { steps: { run?: string; if?: string }[] } } };
  const runs = workflow.jobs.scenario.steps.filter((step) => step.run);
  expect(runs.map((step) => step.run!.trim())).toEqual(
    expect.arrayContaining(['bash scripts/cluster-kind.sh up', 'eval "$(bash scripts/cluster-kind.sh env)"\nnpm run test:cluster']),
  );
  expect(runs.at(-1)).toEqual({ name: 'Delete the cluster', if: 'always()', run: 'bash scripts/cluster-kind.sh down' });
  // The kind cluster takes the local cluster's ranges and zones, so the scenario reads the same.
  const kindConfig = read('scripts/cluster-kind/kind.yaml');
  expect(kindConfig).toMatch(/podSubnet: 10\.244\.0\.0\/16/);
  expect(kindConfig).toMatch(/serviceSubnet: 10\.96\.0\.0\/16/);
  for (const zone of ['zone-a', 'zone-b', 'zone-c']) expect(kindConfig).toContain(`topology.kubernetes.io/zone: ${zone} }`);
});
