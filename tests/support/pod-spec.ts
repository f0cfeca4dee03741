import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo-root';

/** What the process-level suites take from the StatefulSet to run the service as in its pod. */
export type PodSpec = {
  securityContext: { sysctls?: { name: string; value: string }[] };
  containers: { name: string; resources: { limits: { memory: string } } }[];
};

export async function podSpec(): Promise<PodSpec> {
  const text = await readFile(join(REPO_ROOT, 'apps/visits/base/statefulset.yaml'), 'utf8');
  return (parse(text) as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

/** The visits container's memory limit, in bytes. */
export function memoryLimitBytes(spec: PodSpec): number {
  const limit = spec.containers.find((c) => c.name === 'visits')!.resources.limits.memory;
  const match = /^(\d+)Mi$/.exec(limit);
  if (!match) throw new Error(`expected the visits container's memory limit in Mi, found ${limit}`);
  return Number(match[1]) * 1024 * 1024;
}
