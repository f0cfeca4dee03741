import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { K8sObject } from '../support/kustomize';
import { REPO_ROOT } from '../support/repo-root';
import { argocdModuleDir } from './argocd-cli';

/**
 * The fields tests/manifests/schema/kinds.mjs adds to the strict schemas, because the model
 * package predates them, are fields of the pinned Argo CD: each is in that release's own CRD,
 * with the same type, at the same place.
 */
interface Amendment {
  kind: string;
  path: string[];
  field: string;
  schema: { type: string };
}

const CRD_FILES: Record<string, string> = {
  'argoproj.io/v1alpha1/AppProject': 'manifests/crds/appproject-crd.yaml',
  'argoproj.io/v1alpha1/Application': 'manifests/crds/application-crd.yaml',
};

/** The generator's table, read by node: kinds.mjs is an ES module the schema generator imports. */
const AMENDMENTS = JSON.parse(
  execFileSync(
    'node',
    [
      '--input-type=module',
      '-e',
      `import { AMENDMENTS } from ${JSON.stringify(join(REPO_ROOT, 'tests/manifests/schema/kinds.mjs'))}; console.log(JSON.stringify(AMENDMENTS));`,
    ],
    { encoding: 'utf8' },
  ),
) as Amendment[];

const argocdModule = argocdModuleDir();

function crdSchema(kind: string): K8sObject {
  const crd = parse(readFileSync(join(argocdModule, CRD_FILES[kind]!), 'utf8')) as K8sObject;
  const version = (crd.spec.versions as K8sObject[]).find((v) => v.name === kind.split('/')[1]);
  return version!.schema.openAPIV3Schema;
}

test.each(AMENDMENTS.map((a) => [`${a.kind} ${[...a.path, a.field].join('.')}`, a] as const))(
  '%s is in the pinned Argo CD CRD',
  (_name, amendment) => {
    let at = crdSchema(amendment.kind);
    for (const step of amendment.path) at = step === '[]' ? at.items : at.properties[step];
    expect(at.properties[amendment.field]).toMatchObject(amendment.schema);
  },
);
