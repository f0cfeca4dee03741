import type { ChildProcess } from 'node:child_process';

export interface StopOptions {
  /** The signal asked first (default SIGTERM); SIGKILL follows if the process outlives `timeoutMs`. */
  signal?: NodeJS.Signals;
  /** Default 5 s. */
  timeoutMs?: number;
}

/** Collects what the process writes to stdout and stderr, as it arrives; the function returns it so far. */
export function collectOutput(child: ChildProcess): () => string {
  let output = '';
  const append = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => output;
}

/** True once the process has exited (with a code or by a signal). */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Stops a process a test started: `signal` to it (by its PID, through the handle), SIGKILL if it
 * outlives `timeoutMs`; resolves once it has exited. A process that is already gone is left be.
 */
export async function stopChild(child: ChildProcess | undefined, options: StopOptions = {}): Promise<void> {
  const { signal = 'SIGTERM', timeoutMs = 5000 } = options;
  if (!child || hasExited(child)) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}
