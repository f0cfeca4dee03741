import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { kustomize, type K8sObject } from '../../support/kustomize';

/** A Kubernetes object as kustomize rendered it, with the file it came from. */
export interface RenderedObject {
  /** The object exactly as `kubectl kustomize <path>` prints it. */
  doc: K8sObject;
  /** Repository-relative source file (kustomize's origin annotation). */
  file: string;
  /** Repository-relative directory that was rendered (an Application's path). */
  renderedFrom: string;
}

const ORIGIN = 'config.kubernetes.io/origin';

export function objectId(doc: K8sObject): string {
  const ns = doc?.metadata?.namespace;
  return `${doc?.kind ?? '?'} ${ns ? `${ns}/` : ''}${doc?.metadata?.name ?? '?'}`;
}

/**
 * Renders `dir` through a throw-away wrapper kustomization whose only setting is
 * `buildMetadata: [originAnnotations]`, to learn which file each object came from, then drops
 * that annotation again: what is left is what `kubectl kustomize <dir>` prints, the command
 * Argo CD's repo server runs. With `comparePlain` it also runs that plain command and fails if
 * the two renders differ in anything but the annotation.
 */
export async function renderKustomization(repoRoot: string, dir: string, comparePlain = false): Promise<RenderedObject[]> {
  const absolute = resolve(repoRoot, dir);
  const wrapper = await mkdtemp(join(tmpdir(), 'visits-kustomize-'));
  try {
    await writeFile(
      join(wrapper, 'kustomization.yaml'),
      `resources:\n  - ${relative(wrapper, absolute)}\nbuildMetadata: [originAnnotations]\n`,
    );
    const [annotated, plain] = await Promise.all([kustomize(wrapper), comparePlain ? kustomize(absolute) : Promise.resolve(undefined)]);
    const renderedFrom = relative(repoRoot, absolute) || '.';
    const objects = annotated.map((doc) => {
      const file = originFile(repoRoot, wrapper, doc) ?? `${renderedFrom}/kustomization.yaml`;
      delete doc.metadata?.annotations?.[ORIGIN];
      if (doc.metadata?.annotations && Object.keys(doc.metadata.annotations).length === 0) delete doc.metadata.annotations;
      return { doc, file, renderedFrom };
    });
    if (plain !== undefined) {
      if (JSON.stringify(plain) !== JSON.stringify(objects.map((o) => o.doc))) {
        throw new Error(`${dir}: the render with origin annotations differs from plain kubectl kustomize`);
      }
    }
    return objects;
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

/** The origin annotation is YAML: `path:` for a resource file, `configuredIn:` for a generator. */
function originFile(repoRoot: string, wrapper: string, doc: K8sObject): string | undefined {
  const text = doc?.metadata?.annotations?.[ORIGIN];
  if (typeof text !== 'string') return undefined;
  const origin = parse(text) as { path?: string; configuredIn?: string };
  const path = origin.path ?? origin.configuredIn;
  return path ? relative(repoRoot, resolve(wrapper, path)) : undefined;
}
