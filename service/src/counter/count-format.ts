/**
 * The data file holds the count as decimal text and a newline, so that
 * `kubectl exec pod/visits-0 -- cat data/visits` shows it as the seed lab did.
 */
const DECIMAL = /^(0|[1-9][0-9]*)\n?$/;

/** The largest count: 2^53-1, the last whole number JavaScript and JSON clients hold exactly. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

export function formatCount(count: number): string {
  return `${count}\n`;
}

/** Returns the count, or throws an Error whose message says what is wrong with the text. */
export function parseCount(text: string): number {
  if (text.length === 0) throw new Error('the file is empty');
  if (!DECIMAL.test(text)) {
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    throw new Error(`expected a non-negative decimal integer and a newline, found ${JSON.stringify(shown)}`);
  }
  const count = Number(text.trimEnd());
  if (!Number.isSafeInteger(count)) throw new Error(`the count ${text.trimEnd()} is beyond 2^53-1`);
  return count;
}

/** True for a value that may be stored: a whole number from 0 to 2^53-1. */
export function isValidCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
