/**
 * One log line per `intervalMs` for each kind of a run of like events (a flood of wrong tokens
 * must not become a flood of log lines): the first of a kind is written at once, later ones within
 * the interval are only counted, and the next line of that kind says how many were left out.
 * Kinds are a small closed set chosen by the caller (a reason, never request data).
 */
export class ThrottledLog {
  private readonly kinds = new Map<string, { lastWritten: number; leftOut: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  event(kind: string, write: (leftOut: number) => void): void {
    const now = this.now();
    const state = this.kinds.get(kind);
    if (state && now - state.lastWritten < this.intervalMs) {
      state.leftOut += 1;
      return;
    }
    write(state?.leftOut ?? 0);
    this.kinds.set(kind, { lastWritten: now, leftOut: 0 });
  }
}
