import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/repo-root';

/**
 * The kind path (scripts/cluster-up.sh, the e2e-kind workflow) cannot run on this project's
 * machines (no Docker, no registry to pull a node image from); what can be checked here is that it
 * is pinned to the same versions as the local real cluster, and loads images the way that works
 * with Docker's containerd image store.
 */
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const clusterUp = read('scripts/cluster-up.sh');

/** The default of `NAME="${NAME:-default}"` in cluster-up.sh. */
function scriptDefault(name: string): string {
  const match = new RegExp(`^${name}="\\$\\{${name}:-([^}]+)\\}"$`, 'm').exec(clusterUp);
  if (!match) throw new Error(`scripts/cluster-up.sh sets no default for ${name}`);
  return match[1]!;
}

/** The version a tools/ module pins for `module`. */
function pinned(tool: string, module: string): string {
  const match = new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')} (v\\S+)`, 'm').exec(read(`tools/${tool}/go.mod`));
  if (!match) throw new Error(`tools/${tool}/go.mod does not require ${module}`);
  return match[1]!;
}

test('the kind node image is pinned by digest, on the Kubernetes minor of the local real cluster', () => {
  const image = scriptDefault('KIND_NODE_IMAGE');
  expect(image).toMatch(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
  const minor = (version: string) => version.split('.').slice(0, 2).join('.');
  expect(minor(/:(v[\d.]+)@/.exec(image)![1]!)).toBe(minor(pinned('kubernetes', 'k8s.io/kubernetes')));
  expect(clusterUp).toMatch(/kind create cluster [^\n]*--image "\$KIND_NODE_IMAGE"/);
});

test('kind gets the Argo CD version the local real cluster builds', () => {
  expect(scriptDefault('ARGOCD_VERSION')).toBe(pinned('argocd', 'github.com/argoproj/argo-cd/v3'));
});

test("images reach the nodes as a one-platform archive (Docker's containerd image store breaks `kind load docker-image`)", () => {
  expect(clusterUp).not.toMatch(/^\s*kind load docker-image/m);
  expect(clusterUp).toMatch(/docker image save --platform /);
  expect(clusterUp).toMatch(/kind load image-archive "\$archive"/);
});

test('the e2e-kind workflow installs the kind release whose node image cluster-up.sh pins', () => {
  type Step = { uses?: string; with?: Record<string, unknown> };
  const workflow = parse(read('.github/workflows/e2e-kind.yml')) as { jobs: Record<string, { steps: Step[] }> };
  const kind = Object.values(workflow.jobs)
    .flatMap((job) => job.steps)
    .find((step) => step.uses?.startsWith('helm/kind-action@'));
  expect(kind?.with?.version).toBe('v0.32.0');
  expect(clusterUp).toMatch(/kind v0\.32\.0's default/);
});
