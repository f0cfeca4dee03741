import { argoProblems } from './argo-checks';
import { kustomizationProblems } from './kustomization-checks';
import { podTemplateProblems, type ServedRoutes } from './pod-checks';
import type { Problem } from './problems';
import type { Repository } from './repository';
import { schemaProblems } from './schema';
import { topologyProblems } from './topology-checks';

/** Every check on a loaded repository: render failures, schemas, then the cross-checks. */
export async function validateRepository(repo: Repository, served: ServedRoutes): Promise<Problem[]> {
  return [
    ...repo.problems,
    ...(await schemaProblems(repo.objects)),
    ...kustomizationProblems(repo.root),
    ...podTemplateProblems(repo.objects, served),
    ...topologyProblems(repo.objects),
    ...argoProblems(repo),
  ];
}
