export interface WaitOptions {
  timeoutMs: number;
  /** The pause between two polls (default 500 ms). */
  everyMs?: number;
  /** On a timeout, what the awaited thing showed last (an Application's status, say), for the message. */
  describe?: () => Promise<string>;
}

/**
 * Polls `probe` until it returns something other than undefined or false, and resolves with it.
 * A probe that throws is polled again (what it asks may not be up yet). After the timeout (`within`
 * in ms, or its timeoutMs) this throws, naming `what`, the probe's last error and, given
 * `describe`, what the awaited thing showed.
 */
export async function waitFor<T>(what: string, within: number | WaitOptions, probe: () => Promise<T | undefined | false>): Promise<T> {
  const { timeoutMs, everyMs = 500, describe } = typeof within === 'number' ? { timeoutMs: within } : within;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? `: ${String(lastError)}` : '';
      const shown = describe ? `; it showed:\n${await describe().catch((err: Error) => err.message)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${shown}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
