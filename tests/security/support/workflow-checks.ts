/**
 * Security rules for GitHub Actions workflows that tests/pipeline does not already check
 * (it covers SHA pinning of actions and least-privilege permissions):
 * - no `pull_request_target` trigger: it runs with a write token and the secrets next to a fork's code;
 * - no attacker-controlled event text (titles, bodies, branch names, commit messages) expanded
 *   inside a `run:` script, where it becomes shell code; pass it through `env:` instead;
 * - a `docker://` step image pinned by sha256 digest (the pipeline's SHA check skips those);
 * - no `secrets: inherit` handed to a reusable workflow (it would get every secret, not the few it needs).
 */
// Workflows are untyped YAML.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const DOCKER_DIGEST = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;
const UNTRUSTED =
  /\$\{\{[^}]*github\.(head_ref|event\.(issue\.(title|body)|pull_request\.(title|body|head\.(ref|label))|comment\.body|review\.body|review_comment\.body|head_commit\.(message|author)|commits|pages|discussion\.(title|body)))/;

export function workflowProblems(doc: Doc, file: string): string[] {
  const problems: string[] = [];
  if (!doc || typeof doc !== 'object') return [`${file}: not a workflow`];
  const on = doc.on ?? doc['true']; // YAML 1.1 readers turn the key `on` into true
  const triggers = typeof on === 'string' ? [on] : Array.isArray(on) ? on : Object.keys(on ?? {});
  if (triggers.includes('pull_request_target')) problems.push(`${file}: pull_request_target runs fork code with a write token`);
  for (const [id, job] of Object.entries<Doc>(doc.jobs ?? {})) {
    const where = `${file} jobs.${id}`;
    if (job.secrets === 'inherit') problems.push(`${where}: secrets: inherit hands every secret to ${job.uses}`);
    (job.steps ?? []).forEach((step: Doc, i: number) => {
      if (typeof step.uses === 'string' && step.uses.startsWith('docker://') && !DOCKER_DIGEST.test(step.uses)) {
        problems.push(`${where}.steps[${i}]: ${step.uses}: a docker image must be pinned by sha256 digest`);
      }
      if (typeof step.run === 'string' && UNTRUSTED.test(step.run)) {
        problems.push(`${where}.steps[${i}]: run expands attacker-controlled event text; pass it through env instead`);
      }
    });
  }
  return problems;
}
