import { execFileSync } from 'node:child_process';
import { runCommand } from './run-command';
import { parseYamlDocuments } from './yaml-documents';

/**
 * `kubectl kustomize <dir>`: the command Argo CD's repo server runs on an Application's path, so
 * what the suites check is what a cluster would be given. Each object as parsed from its output.
 */
// Manifests are untyped YAML: the checks read them through this loose shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = Record<string, any>;

const TIMEOUT_MS = 60_000;

export interface KustomizeOptions {
  /** The environment kubectl runs in (e.g. the local cluster's, with its own kubectl first on PATH). */
  env?: NodeJS.ProcessEnv;
}

/** Renders `dir` (an absolute path); a failed render rejects with kubectl's own message. */
export async function kustomize(dir: string, options: KustomizeOptions = {}): Promise<K8sObject[]> {
  const result = await runCommand('kubectl', ['kustomize', dir], { env: options.env, timeoutMs: TIMEOUT_MS });
  if (result.code !== 0) throw new Error((result.stderr || `kubectl kustomize ${dir} exited ${result.code ?? 'by timeout'}`).trim());
  return parseYamlDocuments(result.stdout, `kubectl kustomize ${dir}`) as K8sObject[];
}

/** The text kubectl prints, for callers that cannot wait (values read while jest collects the tests). */
export function kustomizeText(dir: string): string {
  return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
}

/** kustomize(), without waiting. */
export function kustomizeSync(dir: string): K8sObject[] {
  return parseYamlDocuments(kustomizeText(dir), `kubectl kustomize ${dir}`) as K8sObject[];
}
