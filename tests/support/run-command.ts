import { spawn } from 'node:child_process';

export interface CommandResult {
  /** The exit code; null when the process was killed (by the timeout or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the command's standard input, which is then closed; none by default. */
  input?: string;
  /** SIGKILL after this long (default 60 s); the result then has code null. */
  timeoutMs?: number;
}

/**
 * Runs a command to its end and collects both outputs, bounded in time. Never rejects for a
 * non-zero exit: the caller asserts on the result. Rejects only when the command cannot start.
 */
export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  const { env, cwd, input, timeoutMs = 60_000 } = options;
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * Runs a command that must succeed and resolves with its standard output; a non-zero exit (or
 * the timeout) rejects, naming the command and what it printed on standard error.
 */
export async function runOrThrow(command: string, args: string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code ?? 'by timeout'}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
