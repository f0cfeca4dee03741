import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { clusterDirs } from '../../manifests/lib/repository';
import { kustomizeSync } from '../../support/kustomize';
import { REPO_ROOT } from '../../support/repo-root';

/**
 * The monitoring objects as Argo CD would apply them: `kubectl kustomize` of an overlay, so the
 * proof covers what ships (the component as included by apps/visits/envs/<env>, the
 * kube-prometheus-stack Application as each clusters/<name> includes it), not a copy.
 */
export const COMPONENT_DIR = resolve(REPO_ROOT, 'apps/visits/components/monitoring');
export const DASHBOARD_FILE = resolve(COMPONENT_DIR, 'dashboards/visits.json');
export const RUNBOOKS_FILE = resolve(REPO_ROOT, 'docs/runbooks.md');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

/** Every cluster's name: clusters/<name>/, the shared base left out. */
export const CLUSTERS = clusterDirs(REPO_ROOT).map((dir) => dir.replace(/^clusters\//, ''));

export function renderOverlay(env = 'dev'): KubeObject[] {
  return render(resolve(REPO_ROOT, 'apps/visits/envs', env));
}

/** The kube-prometheus-stack Helm values (`valuesObject`) in the render of clusters/<cluster>. */
// Helm values are untyped: the tests read them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function stackValues(cluster: string): Record<string, any> {
  const app = findOne(render(resolve(REPO_ROOT, 'clusters', cluster)), 'Application', 'kube-prometheus-stack');
  return (app.spec as { source: { helm: { valuesObject: Record<string, unknown> } } }).source.helm.valuesObject;
}

const render = (dir: string): KubeObject[] => kustomizeSync(dir) as KubeObject[];

export function findOne(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

/** The rule groups of the rendered PrometheusRule, i.e. what the operator hands to Prometheus. */
export function ruleGroupsOf(objects: KubeObject[]): RuleGroup[] {
  const rule = findOne(objects, 'PrometheusRule');
  return (rule.spec as { groups: RuleGroup[] }).groups;
}

/** A Prometheus rule file (the format promtool and prometheus read). */
export function ruleFileText(groups: RuleGroup[]): string {
  return stringify({ groups }, { lineWidth: 0 });
}

export const alertsOf = (groups: RuleGroup[]): Rule[] => groups.flatMap((g) => g.rules.filter((r) => r.alert));
