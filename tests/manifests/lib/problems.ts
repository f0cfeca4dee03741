/** One thing wrong with the manifests, located well enough to fix it without searching. */
export interface Problem {
  /** Repository-relative file the object (or setting) comes from. */
  file: string;
  /** `Kind namespace/name`, plus the Application path that rendered it. */
  object: string;
  /** Dotted path of the field inside the object, `-` when the object as a whole is at fault. */
  field: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}: ${p.object}: ${p.field}: ${p.message}`;
}

/** One line per problem: what jest prints when a suite expects none. */
export function formatProblems(problems: Problem[]): string {
  return problems.map(formatProblem).join('\n');
}
