import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kustomize, type K8sObject } from '../support/kustomize';
import { REPO_ROOT } from '../support/repo-root';
import { parseYamlDocuments } from '../support/yaml-documents';
import type { ArgocdCli } from './argocd-cli';

/** The argocd-cm variants the health tests judge with, each written to a file for the CLI. */
export interface ArgocdCms {
  /** argocd-cm as kustomize renders argocd/: our keys only. */
  rendered: K8sObject;
  /** argocd-cm as the pinned install.yaml makes it. */
  installed: K8sObject;
  /** What a cluster ends up with: installed, with rendered's keys merged on (server-side apply). */
  ours: string;
  /** installed alone: Argo CD's answers without our checks. */
  upstream: string;
}

export async function argocdCms(cli: ArgocdCli): Promise<ArgocdCms> {
  const rendered = (await kustomize(join(REPO_ROOT, 'argocd'))).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm')!;
  const install = parseYamlDocuments(readFileSync(join(cli.moduleDir, 'manifests/install.yaml'), 'utf8'), 'install.yaml') as K8sObject[];
  const installed = install.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-cm')!;
  return {
    rendered,
    installed,
    ours: cli.write('argocd-cm', { ...installed, data: { ...installed.data, ...rendered.data } }),
    upstream: cli.write('argocd-cm-upstream', installed),
  };
}
