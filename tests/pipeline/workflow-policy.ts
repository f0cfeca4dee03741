import { parse } from 'yaml';

/**
 * Policy rules for .github/workflows, as pure functions over a workflow's text so that tests can
 * run them on the real files and on mutated copies. Each returns the list of violations.
 */
export type Workflow = Record<string, unknown>;

const PINNED_USES = /^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$/;
const SHA_REF = /^[^@\s]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /^#\s*v\d+(\.\d+)*/;

/** Every `uses:` of a third-party action or workflow: pinned to a full commit SHA, version in a comment. */
export function unpinnedUses(text: string): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    const match = PINNED_USES.exec(line);
    if (!match) return;
    const [, ref, comment] = match;
    if (ref.startsWith('./') || ref.startsWith('docker://')) return; // local reusable workflow or image
    if (!SHA_REF.test(ref)) problems.push(`line ${index + 1}: ${ref} is not pinned to a 40-hex commit SHA`);
    else if (!comment || !VERSION_COMMENT.test(comment.trim())) problems.push(`line ${index + 1}: ${ref} has no "# vX.Y.Z" comment`);
  });
  return problems;
}

const WRITE_ALLOWED = new Set(['contents', 'packages', 'id-token', 'attestations']);

function permissionProblems(where: string, permissions: unknown): string[] {
  if (permissions === undefined) return [];
  if (typeof permissions === 'string') return [`${where}: permissions "${permissions}" (use an explicit map)`];
  const problems: string[] = [];
  for (const [scope, level] of Object.entries(permissions as Record<string, string>)) {
    if (level === 'write' && !WRITE_ALLOWED.has(scope)) problems.push(`${where}: ${scope}: write is not needed by any job here`);
  }
  return problems;
}

/**
 * Top-level `permissions` present and read-only (or empty); write scopes only on the jobs that
 * need them, from a short list (contents, packages, id-token, attestations); never write-all.
 */
export function permissionViolations(workflow: Workflow): string[] {
  const problems: string[] = [];
  const top = workflow.permissions;
  if (top === undefined) problems.push('no top-level permissions');
  else if (typeof top === 'string') problems.push(`top-level permissions "${top}" (use an explicit map)`);
  else {
    for (const [scope, level] of Object.entries(top as Record<string, string>)) {
      if (level !== 'read' && level !== 'none') problems.push(`top-level ${scope}: ${level} (write belongs on the job that needs it)`);
    }
  }
  for (const [name, job] of Object.entries((workflow.jobs ?? {}) as Record<string, Record<string, unknown>>)) {
    problems.push(...permissionProblems(`job ${name}`, job.permissions));
  }
  return problems;
}

/** A top-level concurrency group. */
export function concurrencyViolations(workflow: Workflow): string[] {
  const concurrency = workflow.concurrency as { group?: string } | string | undefined;
  const group = typeof concurrency === 'string' ? concurrency : concurrency?.group;
  return group ? [] : ['no top-level concurrency group'];
}

/** Release: triggered by service changes on main, never by apps/** or clusters/** (the bump commits). */
export function releaseTriggerViolations(workflow: Workflow): string[] {
  const on = (workflow.on ?? (workflow as Record<string, unknown>)['true']) as Record<string, Record<string, string[]>>;
  const push = on?.push;
  if (!push) return ['release is not triggered by push'];
  const problems: string[] = [];
  if (!push.branches?.includes('main')) problems.push('release push is not limited to main');
  const paths = push.paths ?? [];
  const ignored = new Set([...(push['paths-ignore'] ?? []), ...paths.filter((p) => p.startsWith('!')).map((p) => p.slice(1))]);
  for (const excluded of ['apps/**', 'clusters/**']) {
    if (!ignored.has(excluded)) problems.push(`release does not ignore ${excluded}`);
  }
  if (push.paths && !paths.includes('service/**')) problems.push('release paths do not include service/**');
  if (paths.some((p) => p === '**' || p === 'apps/**' || p === 'clusters/**')) problems.push('release paths include what they must ignore');
  return problems;
}

/** Release: serialised, never cancelled mid-way. */
export function releaseConcurrencyViolations(workflow: Workflow): string[] {
  const concurrency = workflow.concurrency as { group?: string; 'cancel-in-progress'?: boolean } | undefined;
  if (!concurrency?.group) return ['release has no concurrency group'];
  return concurrency['cancel-in-progress'] === false ? [] : ['release must not cancel a release in progress (cancel-in-progress: false)'];
}

export function parseWorkflow(text: string): Workflow {
  return parse(text) as Workflow;
}
