import { MAX_COUNT } from '../counter/count-format';
import { jsonObjectMembers } from './json-members';

/** Largest body PUT /visits reads: {"visits": 9007199254740991} and some whitespace fit easily. */
export const RESTORE_BODY_LIMIT = 256;

export type RestoreRequest = { ok: true; visits: number } | { ok: false; message: string };

/** True for application/json, with or without parameters such as charset. */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/** A count as a restore must write it: decimal digits, no sign, fraction, exponent or leading zero. */
const PLAIN_WHOLE_NUMBER = /^(0|[1-9][0-9]*)$/;

/**
 * Checks the body of PUT /visits as sent: exactly {"visits": n} with n a whole number from 0 to
 * 2^53-1 written in plain digits. Strict, as befits the one request that overwrites a count: a
 * duplicate key (JSON.parse would keep the last) and a number that is whole only once read
 * (1e2, 2.0) are refused rather than guessed at. Each rule has its own message, so the operator
 * sees what to fix.
 */
export function parseRestoreBody(text: string): RestoreRequest {
  if (text === '') return { ok: false, message: 'the body is empty: send {"visits": n}' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the body is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'the body must be a JSON object: {"visits": n}' };
  }
  const members = jsonObjectMembers(text);
  const keys = members.map((member) => member.key);
  const repeated = [...new Set(keys.filter((key, i) => keys.indexOf(key) !== i))];
  if (repeated.length > 0) return { ok: false, message: `duplicate field(s) ${quoted(repeated)}: send each field once` };
  const extra = keys.filter((key) => key !== 'visits');
  if (extra.length > 0) return { ok: false, message: `unexpected field(s) ${quoted(extra)}: send only {"visits": n}` };
  const member = members[0];
  if (member === undefined) return { ok: false, message: 'the field "visits" is missing: send {"visits": n}' };
  const visits = (body as { visits: unknown }).visits;
  if (typeof visits !== 'number') return { ok: false, message: `"visits" must be a JSON number, got ${typeName(visits)}` };
  if (member.source.startsWith('-')) return { ok: false, message: `"visits" must not be negative, got ${member.source}` };
  if (!PLAIN_WHOLE_NUMBER.test(member.source)) {
    return { ok: false, message: `"visits" must be a whole number in plain digits (no fraction, no exponent), got ${member.source}` };
  }
  if (visits > MAX_COUNT) return { ok: false, message: `"visits" must be at most ${MAX_COUNT} (2^53-1)` };
  return { ok: true, visits };
}

function quoted(keys: string[]): string {
  return keys.map((key) => JSON.stringify(key)).join(', ');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
