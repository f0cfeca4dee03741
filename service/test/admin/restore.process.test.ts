import { randomBytes } from 'node:crypto';
import { chmod, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, startService, type ServiceProcess } from '@visits/test-support/service-process';
import { breakWrites, healWrites } from '../support/break-writes';

/**
 * PUT /visits against the built service as a real process: the token in a real file (as Vault
 * Agent writes it), every bad input refused with 400 and nothing changed, the change durable.
 */
jest.setTimeout(30_000);

let tokenDir: string;
let tokenFile: string;
let token: string;
let replica: ServiceProcess;

const newToken = () => `tok-${randomBytes(24).toString('base64url')}`;

async function writeToken(value: string): Promise<void> {
  await writeFile(tokenFile, value, { mode: 0o644 });
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function put(body: string | undefined, headers: Record<string, string>, target = replica): Promise<Answer> {
  const response = await fetch(`${target.url}/visits`, { method: 'PUT', body, headers, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, headers: response.headers };
}

const json = { 'content-type': 'application/json' };
const auth = () => ({ authorization: `Bearer ${token}` });
const restore = (visits: unknown) => put(JSON.stringify({ visits }), { ...json, ...auth() });

async function count(target = replica): Promise<number> {
  const response = await fetch(`${target.url}/visits`, { signal: AbortSignal.timeout(10_000) });
  return ((await response.json()) as { visits: number }).visits;
}

const fileContent = (target = replica) => readFile(join(target.dataDir, 'visits'), 'utf8');

beforeAll(async () => {
  tokenDir = await makeTempDir('visits-token-');
  await chmod(tokenDir, 0o755);
  tokenFile = join(tokenDir, 'admin-token');
  token = newToken();
  // With a trailing newline, as templates and `echo` write it.
  await writeToken(`${token}\n`);
  replica = await startService({ env: { ADMIN_TOKEN_FILE: tokenFile, POD_NAME: 'visits-0' } });
  // A known starting point: three visits, on disk.
  for (let i = 0; i < 3; i += 1) await fetch(`${replica.url}/`);
}, 60_000);

afterAll(async () => {
  await replica?.cleanup();
  await rm(tokenDir, { recursive: true, force: true });
}, 30_000);

/** Every refusal must leave the count and the file exactly as they were. */
async function expectUnchanged(action: () => Promise<Answer>): Promise<Answer> {
  const before = await count();
  const fileBefore = await fileContent();
  const answer = await action();
  expect(await count()).toBe(before);
  expect(await fileContent()).toBe(fileBefore);
  return answer;
}

describe('PUT /visits: authentication', () => {
  it.each<[string, Record<string, string>]>([
    ['no Authorization header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['"Bearer" without a token', { authorization: 'Bearer ' }],
  ])('answers 401 "a bearer token is required" for %s', async (_case, headers) => {
    const answer = await expectUnchanged(() => put('{"visits":5}', { ...json, ...headers }));
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('a bearer token is required');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="visits"');
  });

  it.each<[string, () => string]>([
    ['a different token', () => newToken()],
    ['a token of the same length', () => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
    ['the token with a suffix', () => `${token}x`],
    ['a prefix of the token', () => token.slice(0, 10)],
  ])('answers 401 "not valid" for %s', async (_case, presented) => {
    const answer = await expectUnchanged(() => put('{"visits":5}', { ...json, authorization: `Bearer ${presented()}` }));
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('the bearer token is not valid');
  });

  it('answers 401 naming the expected form for a Bearer header whose token is not one word', async () => {
    const answer = await expectUnchanged(() => put('{"visits":5}', { ...json, authorization: `Bearer ${token} extra` }));
    expect(answer.status).toBe(401);
    expect(answer.body.message).toBe('the Authorization header must be "Bearer <token>", the token one word');
  });

  it('logs a flood of wrong tokens as one line, not one line per request', async () => {
    const wrongLines = () =>
      replica
        .output()
        .split('\n')
        .filter((line) => line.includes('wrong bearer token')).length;
    const before = wrongLines();
    for (let i = 0; i < 50; i++) expect((await put('{"visits":5}', { ...json, authorization: `Bearer ${newToken()}` })).status).toBe(401);
    expect(wrongLines() - before).toBeLessThanOrEqual(1);
    expect(await count()).not.toBe(5);
  });

  it('checks the token before reading the body: an unauthenticated oversized body gets 401, not 400', async () => {
    // Over the route's 256 bytes, under the service's 16 KiB (beyond which every route answers 413 unread).
    const answer = await expectUnchanged(() => put(`{"visits":1,"pad":"${'x'.repeat(2_000)}"}`, json));
    expect(answer.status).toBe(401);
  });
});

describe('PUT /visits: bad bodies each get 400 and change nothing', () => {
  it.each<[string, string | undefined, Record<string, string>, RegExp]>([
    ['a fraction', '{"visits":1.5}', json, /"visits" must be a whole number in plain digits \(no fraction, no exponent\), got 1\.5/],
    ['a whole number written as a fraction', '{"visits":2.0}', json, /"visits" must be a whole number in plain digits .*, got 2\.0$/],
    ['a whole number written with an exponent', '{"visits":1e2}', json, /"visits" must be a whole number in plain digits .*, got 1e2$/],
    ['negative zero', '{"visits":-0}', json, /"visits" must not be negative, got -0$/],
    ['a duplicate field', '{"visits":5,"visits":6}', json, /^duplicate field\(s\) "visits": send each field once$/],
    ['a duplicate field written with an escape', '{"visits":5,"vi\\u0073its":6}', json, /^duplicate field\(s\) "visits"/],
    ['a string', '{"visits":"7"}', json, /"visits" must be a JSON number, got a string/],
    ['null', '{"visits":null}', json, /"visits" must be a JSON number, got null/],
    ['a boolean', '{"visits":true}', json, /"visits" must be a JSON number, got a boolean/],
    ['negative', '{"visits":-1}', json, /"visits" must not be negative, got -1/],
    ['2^53', '{"visits":9007199254740992}', json, /"visits" must be at most 9007199254740991 \(2\^53-1\)/],
    ['2^53+1 (read as 2^53)', '{"visits":9007199254740993}', json, /"visits" must be at most 9007199254740991 \(2\^53-1\)/],
    ['1e300', '{"visits":1e300}', json, /"visits" must be a whole number in plain digits .*, got 1e300$/],
    ['text/plain', '{"visits":5}', { 'content-type': 'text/plain' }, /the Content-Type must be application\/json/],
    ['a form', 'visits=5', { 'content-type': 'application/x-www-form-urlencoded' }, /the Content-Type must be application\/json/],
    ['octet-stream', '5', { 'content-type': 'application/octet-stream' }, /the Content-Type must be application\/json/],
    ['no body and no content type', undefined, {}, /the Content-Type must be application\/json/],
    ['oversized (300 bytes)', `{"visits":5${' '.repeat(300)}}`, json, /the body must be at most 256 bytes/],
    [
      'oversized (2 kB: over the route limit, under the service-wide 16 KiB)',
      `{"visits":5,"pad":"${'x'.repeat(2_000)}"}`,
      json,
      /the body must be at most 256 bytes/,
    ],
    ['an extra field', '{"visits":5,"pod":"visits-1"}', json, /unexpected field\(s\) "pod": send only \{"visits": n\}/],
    ['no "visits" field', '{}', json, /the field "visits" is missing/],
    ['an array', '[5]', json, /the body must be a JSON object/],
    ['a bare number', '5', json, /the body must be a JSON object/],
    ['invalid JSON', '{"visits":', json, /the body is not valid JSON/],
    ['an empty JSON body', '', json, /the body is empty/],
    ['a __proto__ key', '{"__proto__":{"visits":1}}', json, /^unexpected field\(s\) "__proto__": send only \{"visits": n\}$/],
    ['a __proto__ key beside "visits"', '{"visits":1,"__proto__":{"visits":2}}', json, /^unexpected field\(s\) "__proto__"/],
    ['a "constructor" key', '{"visits":1,"constructor":{"prototype":{}}}', json, /^unexpected field\(s\) "constructor"/],
  ])('%s', async (_case, body, headers, message) => {
    const answer = await expectUnchanged(() => put(body, { ...headers, ...auth() }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(answer.body.message).toMatch(message);
  });
});

describe('PUT /visits: restoring', () => {
  it('sets the count durably, answers old and new, and logs both without the token', async () => {
    const previous = await count();
    const answer = await restore(1234);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ visits: 1234, previous, pod: 'visits-0' });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await count()).toBe(1234);
    expect(await fileContent()).toBe('1234\n');

    const logged = replica
      .output()
      .split('\n')
      .filter((line) => line.includes('count restored by PUT /visits'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.at(-1)).toMatchObject({ previous, visits: 1234 });
    expect(replica.output()).not.toContain(token);
  });

  it('counts visits on from the restored value', async () => {
    const response = await fetch(`${replica.url}/`);
    expect(((await response.json()) as { visits: number }).visits).toBe(1235);
  });

  it('accepts 0, 2^53-1, a JSON charset parameter and whitespace around the JSON', async () => {
    expect((await restore(0)).body.visits).toBe(0);
    const max = await put(`{"visits":${Number.MAX_SAFE_INTEGER}}`, { 'content-type': 'application/json; charset=utf-8', ...auth() });
    expect(max.status).toBe(200);
    expect(await fileContent()).toBe(`${Number.MAX_SAFE_INTEGER}\n`);
    expect((await put(' \n{ "visits" :\t2000 }\n', { ...json, ...auth() })).body.visits).toBe(2000);
  });

  it('answers 503 and changes nothing when the write fails, then works again once it heals', async () => {
    await restore(50);
    await breakWrites(replica.dataDir);
    try {
      const answer = await expectUnchanged(() => restore(60));
      expect(answer.status).toBe(503);
      expect(answer.body.message).toMatch(/count not changed: the count could not be persisted \(EISDIR\)/);
      expect(replica.output()).toMatch(/"previous":50,"requested":60,"reason":"EISDIR".*count NOT restored/);
    } finally {
      await healWrites(replica.dataDir);
    }
    expect((await restore(60)).status).toBe(200);
    expect(await count()).toBe(60);
  });

  it('keeps the restored count across a SIGKILL and a restart on the same data directory', async () => {
    await restore(777);
    const dataDir = replica.dataDir;
    await replica.stop('SIGKILL');
    const restarted = await startService({ dataDir, env: { ADMIN_TOKEN_FILE: tokenFile, POD_NAME: 'visits-0' } });
    try {
      expect(await count(restarted)).toBe(777);
    } finally {
      await restarted.stop('SIGTERM');
    }
    // Bring the suite's replica back for the remaining tests.
    replica = await startService({ dataDir, env: { ADMIN_TOKEN_FILE: tokenFile, POD_NAME: 'visits-0' } });
  });
});

describe('PUT /visits: the token file', () => {
  afterEach(async () => {
    await writeToken(`${token}\n`);
  });

  it('follows a rotation at once: the new token works and the old one stops working', async () => {
    const old = token;
    token = newToken();
    await writeToken(`${token}\n`);
    expect((await restore(10)).status).toBe(200);
    const refused = await put('{"visits":11}', { ...json, authorization: `Bearer ${old}` });
    expect(refused.status).toBe(401);
    expect(await count()).toBe(10);
  });

  it('answers 503 while the token file is missing, and never lets anyone in', async () => {
    await unlink(tokenFile);
    const answer = await expectUnchanged(() => restore(99));
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe('the admin token is not available on this replica');
    expect(replica.output()).toMatch(/admin token file .* cannot be read \(ENOENT\)/);
  });

  it('answers 503 while the token file is empty: an empty token never matches', async () => {
    await writeToken('\n');
    const answer = await expectUnchanged(() => put('{"visits":99}', { ...json, authorization: 'Bearer ' }));
    // "Bearer " with nothing is refused as missing before the file is even read.
    expect(answer.status).toBe(401);
    const withToken = await expectUnchanged(() => restore(99));
    expect(withToken.status).toBe(503);
    expect(replica.output()).toMatch(/admin token file .* is empty/);
  });
});

describe('PUT /visits: a token file with whitespace inside the token', () => {
  afterEach(async () => {
    await writeToken(`${token}\n`);
  });

  it('is refused as unusable (503, and the log says why), not answered as if the client sent no token', async () => {
    await writeToken('two words\n');
    const answer = await expectUnchanged(() => put('{"visits":99}', { ...json, authorization: 'Bearer two' }));
    expect(answer.status).toBe(503);
    expect(answer.body.message).toBe('the admin token is not available on this replica');
    expect(replica.output()).toMatch(/admin token file .* holds whitespace inside the token/);
  });
});

describe('PUT /visits without ADMIN_TOKEN_FILE', () => {
  let plain: ServiceProcess;

  beforeAll(async () => {
    plain = await startService({ env: { POD_NAME: 'visits-1' } });
  }, 30_000);

  afterAll(async () => {
    await plain?.cleanup();
  });

  it('does not exist (404), even with a token, and GET /visits still answers', async () => {
    const answer = await put('{"visits":5}', { ...json, authorization: `Bearer ${token}` }, plain);
    expect(answer.status).toBe(404);
    expect(await count(plain)).toBe(0);
  });
});
