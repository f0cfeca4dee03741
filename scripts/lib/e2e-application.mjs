#!/usr/bin/env node
// Prints (JSON, for `kubectl apply -f -`) the dev cluster's visits Application as
// `kubectl kustomize clusters/dev` renders it (clusters/base/visits.yaml with dev's path and
// namespace), pointed at a given repository and commit and running a given image instead of the
// registry's: what the kind end to end and `npm run cluster:up` deploy.
//
//   node scripts/lib/e2e-application.mjs --repo URL --revision SHA --image localhost/visits:e2e-abc
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    repo: { type: 'string' },
    revision: { type: 'string' },
    image: { type: 'string' },
    cluster: { type: 'string', default: join(ROOT, 'clusters/dev') },
  },
});
for (const name of ['repo', 'revision', 'image']) {
  if (!values[name]) {
    console.error(`e2e-application: --${name} is required`);
    process.exit(2);
  }
}

const rendered = execFileSync('kubectl', ['kustomize', values.cluster], { encoding: 'utf8', timeout: 60_000 });
const app = parseAllDocuments(rendered)
  .map((doc) => doc.toJS())
  .find((doc) => doc?.kind === 'Application' && doc.metadata?.name === 'visits');
if (!app) {
  console.error(`e2e-application: no Application visits in ${values.cluster}`);
  process.exit(1);
}
// The `default` project: the repository may be a fork or a pull request's head, which the
// dev cluster's AppProject (pinned to the canonical repository) would refuse.
app.spec.project = 'default';
app.spec.source.repoURL = values.repo;
app.spec.source.targetRevision = values.revision;
// Argo CD runs `kustomize edit set image` with this: the overlay's `visits` entry then names the
// image loaded into the cluster, with a tag and no registry digest.
app.spec.source.kustomize = { ...(app.spec.source.kustomize ?? {}), images: [`visits=${values.image}`] };
delete app.metadata.annotations?.['argocd.argoproj.io/sync-wave'];
process.stdout.write(JSON.stringify(app, null, 2) + '\n');
