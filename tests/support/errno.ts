/**
 * The system error code (ENOENT, ENOSPC, ECONNRESET, …) a thrown value carries, or undefined.
 * fetch() wraps the socket's error: its code is on `cause`, which is looked at too.
 */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? undefined : errnoCode(cause);
}

/** True when `err` is a system error with one of `codes`. */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoCode(err);
  return code !== undefined && codes.includes(code);
}
