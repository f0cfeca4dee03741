import { execFileSync } from 'node:child_process';
import { runOrThrow, type CommandOptions } from './run-command';

/**
 * The few commands a suite needs root for (mounting a tmpfs, say). The suites run as root here
 * and as an ordinary user with passwordless sudo on GitHub's runners: there, exactly these
 * commands go through `sudo -n`, which fails at once, with sudo's own message, where it would ask
 * for a password.
 */
export const isRoot = process.getuid?.() === 0;

/** `command args` as root: as it is when the tests run as root, else through `sudo -n`. */
export function asRoot(command: string, args: string[]): [string, string[]] {
  return isRoot ? [command, args] : ['sudo', ['-n', command, ...args]];
}

export function runAsRoot(command: string, args: string[], options?: CommandOptions): Promise<string> {
  return runOrThrow(...asRoot(command, args), options);
}

export function runAsRootSync(command: string, args: string[]): string {
  const [c, a] = asRoot(command, args);
  return execFileSync(c, a, { encoding: 'utf8', timeout: 30_000 });
}

/** Mount options that give the tests' own user a tmpfs it owns, whoever mounts it. */
export function tmpfsOwnerOptions(): string {
  return `uid=${process.getuid?.() ?? 0},gid=${process.getgid?.() ?? 0}`;
}
