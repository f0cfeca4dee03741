import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export type TokenCheck = 'ok' | 'missing' | 'malformed' | 'wrong';

/** The token file is configured but cannot give a usable token: nobody is let in. */
export class TokenUnavailableError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`admin token file ${file} ${reason}`);
    this.name = 'TokenUnavailableError';
  }
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
/** "Bearer" and something: a header that tried, as opposed to none or another scheme. */
const BEARER_ATTEMPT = /^Bearer[ \t]+\S/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The bearer token for PUT /visits, kept in a file that Vault Agent (or a mounted Secret)
 * writes. The file is read again on every check: the route is rare, and a rotated token
 * then works, and the old one stops working, at once.
 */
export class AdminToken {
  constructor(readonly file: string) {}

  async check(authorization: string | undefined): Promise<TokenCheck> {
    const presented = BEARER.exec(authorization ?? '')?.[1];
    if (presented === undefined) return BEARER_ATTEMPT.test(authorization ?? '') ? 'malformed' : 'missing';
    const expected = await this.read();
    // Equal-length SHA-256 digests: timingSafeEqual needs equal lengths, and the time taken
    // then tells nothing about the token's length or how many leading characters matched.
    return timingSafeEqual(digest(presented), digest(expected)) ? 'ok' : 'wrong';
  }

  private async read(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      throw new TokenUnavailableError(this.file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Templates and `echo` add a trailing newline; it is not part of the token.
    const token = text.trim();
    if (token === '') throw new TokenUnavailableError(this.file, 'is empty');
    // A header carries one word after "Bearer": such a token could never be presented.
    if (/\s/.test(token)) throw new TokenUnavailableError(this.file, 'holds whitespace inside the token: a bearer token is one word');
    return token;
  }
}
