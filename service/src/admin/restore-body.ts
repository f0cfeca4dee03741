import { MAX_COUNT } from '../counter/count-format';

/** Largest body PUT /visits reads: {"visits": 9007199254740991} and some whitespace fit easily. */
export const RESTORE_BODY_LIMIT = 256;

export type RestoreRequest = { ok: true; visits: number } | { ok: false; message: string };

/** True for application/json, with or without parameters such as charset. */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Checks an already-parsed JSON body of PUT /visits: exactly {"visits": n} with n a whole
 * number from 0 to 2^53-1. Each rule has its own message, so the operator sees what to fix.
 */
export function parseRestoreBody(body: unknown): RestoreRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'the body must be a JSON object: {"visits": n}' };
  }
  const extra = Object.keys(body).filter((key) => key !== 'visits');
  if (extra.length > 0)
    return { ok: false, message: `unexpected field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}: send only {"visits": n}` };
  if (!('visits' in body)) return { ok: false, message: 'the field "visits" is missing: send {"visits": n}' };
  const visits = (body as { visits: unknown }).visits;
  if (typeof visits !== 'number') return { ok: false, message: `"visits" must be a JSON number, got ${typeName(visits)}` };
  if (!Number.isInteger(visits)) return { ok: false, message: `"visits" must be a whole number, got ${visits}` };
  if (visits < 0) return { ok: false, message: `"visits" must not be negative, got ${visits}` };
  if (visits > MAX_COUNT) return { ok: false, message: `"visits" must be at most ${MAX_COUNT} (2^53-1)` };
  // -0 is an integer and not negative; store it as 0.
  return { ok: true, visits: visits + 0 };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
