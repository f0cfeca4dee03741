/**
 * The data file holds the count as decimal text and a newline, so that
 * `kubectl exec pod/visits-0 -- cat data/visits` shows it as the seed lab did.
 */
const DECIMAL = /^(0|[1-9][0-9]*)\n?$/;

/** The largest count: 2^53-1, the last whole number JavaScript and JSON clients hold exactly. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** The longest a data file can be: the digits of MAX_COUNT and a newline. */
export const MAX_FILE_BYTES = formatCount(MAX_COUNT).length;

export function formatCount(count: number): string {
  return `${count}\n`;
}

/** Returns the count, or throws an Error whose message says what is wrong with the text. */
export function parseCount(text: string): number {
  if (text.length === 0) throw new Error('the file is empty');
  if (!DECIMAL.test(text)) {
    throw new Error(`expected a non-negative decimal integer and a newline, found ${JSON.stringify(shorten(text))}`);
  }
  const count = Number(text.trimEnd());
  if (!Number.isSafeInteger(count)) throw new Error(`the count ${shorten(text.trimEnd())} is beyond 2^53-1`);
  return count;
}

/** True for a value that may be stored: a whole number from 0 to 2^53-1. */
export function isValidCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** At most 40 characters of a file's text for a message: a huge file must not make a huge log line. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} characters)` : text;
}
