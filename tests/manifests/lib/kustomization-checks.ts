import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Problem } from './problems';
import type { K8sObject } from '../../support/kustomize';
import { parseYamlDocuments } from '../../support/yaml-documents';

const NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function kustomizationFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return kustomizationFiles(path);
    return NAMES.includes(name) ? [path] : [];
  });
}

/**
 * Kustomize features that write labels into selectors and volumeClaimTemplates, both immutable
 * (kustomize #5389): `commonLabels`, and `labels` with includeSelectors or includeTemplates.
 */
export function kustomizationProblems(root: string): Problem[] {
  const problems: Problem[] = [];
  for (const path of ['apps', 'clusters'].flatMap((d) => kustomizationFiles(join(root, d)))) {
    const file = relative(root, path);
    const [k] = parseYamlDocuments(readFileSync(path, 'utf8'), file) as K8sObject[];
    const object = `${k?.kind ?? 'Kustomization'} ${file.replace(/\/[^/]+$/, '')}`;
    if (k?.commonLabels)
      problems.push({
        file,
        object,
        field: 'commonLabels',
        message: 'writes into selectors and volumeClaimTemplates, which are immutable: do not use',
      });
    (k?.labels ?? []).forEach((entry: K8sObject, i: number) => {
      for (const flag of ['includeSelectors', 'includeTemplates']) {
        if (entry[flag])
          problems.push({
            file,
            object,
            field: `labels[${i}].${flag}`,
            message: 'writes into selectors or volumeClaimTemplates, which are immutable: do not use',
          });
      }
    });
  }
  return problems;
}
