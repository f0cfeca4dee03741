/** Whether this replica should still receive traffic. Readiness reads it; shutdown flips it. */
export class LifecycleState {
  private stopping = false;

  get shuttingDown(): boolean {
    return this.stopping;
  }

  beginShutdown(): void {
    this.stopping = true;
  }
}
