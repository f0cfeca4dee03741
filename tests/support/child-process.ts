import type { ChildProcess } from 'node:child_process';

/**
 * Stops a process a test started: SIGTERM to it (by its PID, through the handle), SIGKILL if it
 * outlives `timeoutMs`; resolves once it has exited. A process that is already gone is left be.
 */
export async function stopChild(child: ChildProcess | undefined, timeoutMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
