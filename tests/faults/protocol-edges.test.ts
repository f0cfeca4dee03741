import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HTTP_LIMITS } from '../../service/src/http/http-limits';
import { metricValue } from '../support/prometheus-text';
import { makeTempDir, startService, type ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';
import { currentCount, get } from './support/probe';
import { rawConnection } from './support/raw-connection';

/**
 * The corners of HTTP the service decides itself (docs/security.md#http-limits), against the built
 * service over real sockets: HEAD / answers what GET / would; request lines that are not HTTP/1.x,
 * CONNECT and Upgrade; and every request refused before Fastify is in the HTTP metrics.
 */
jest.setTimeout(60_000);

const MAX_COUNT = 2 ** 53 - 1;
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const token = randomBytes(32).toString('base64url');
let service: ServiceProcess;

beforeAll(async () => {
  service = await startService({ adminToken: token });
});
afterAll(async () => {
  await service?.cleanup();
});

/** One request on its own connection; what came back, as text, once the server closed it. */
async function exchange(request: string, port = service.port): Promise<string> {
  const answer =
    request.includes('Connection: close') || !request.includes('HTTP/1.1')
      ? request
      : request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n');
  return (await rawConnection(service.host, port, (socket) => socket.write(answer), 15_000)).received;
}

const status = (received: string): number | undefined => Number(/^HTTP\/1\.1 (\d{3}) /.exec(received)?.[1]) || undefined;

/** The head of an answer, without Date (it moves), as lower-cased `name: value` lines. */
function headers(received: string): string[] {
  const head = received.slice(0, received.indexOf('\r\n\r\n')).split('\r\n');
  return [
    head[0]!,
    ...head
      .slice(1)
      .map((line) => line.toLowerCase())
      .filter((line) => !line.startsWith('date:')),
  ].sort();
}

async function restoreCount(visits: number): Promise<void> {
  const body = JSON.stringify({ visits });
  const received = await exchange(
    `PUT /visits HTTP/1.1\r\nHost: visits\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  );
  expect(status(received)).toBe(200);
}

const metrics = async (): Promise<string> => (await get(`${service.monitorUrl}/metrics`)).body;
const refusedCount = (text: string, method: string, code: number): number =>
  metricValue(text, 'http_request_duration_seconds_count', `method="${method}",route="refused",status_code="${code}"`) ?? 0;

describe('HEAD /', () => {
  test('answers with the status and headers GET / answers, and records nothing', async () => {
    const before = await currentCount(service.url);
    const head = await exchange('HEAD / HTTP/1.1\r\nHost: visits\r\n\r\n');
    expect(await currentCount(service.url)).toBe(before);
    const got = await exchange('GET / HTTP/1.1\r\nHost: visits\r\n\r\n');
    expect(headers(head)).toEqual(headers(got));
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  test('answers 507 where GET / answers 507 (the count at its limit)', async () => {
    const before = await currentCount(service.url);
    await restoreCount(MAX_COUNT);
    try {
      const got = await exchange('GET / HTTP/1.1\r\nHost: visits\r\n\r\n');
      const head = await exchange('HEAD / HTTP/1.1\r\nHost: visits\r\n\r\n');
      expect(status(got)).toBe(507);
      expect(headers(head)).toEqual(headers(got));
    } finally {
      await restoreCount(before);
    }
  });

  test('answers 503 where GET / answers 503 (the disk refuses writes), and 200 once it heals', async () => {
    const parent = await makeTempDir('visits-edges-disk-');
    let failing: ServiceProcess | undefined;
    try {
      await chmod(parent, 0o755);
      const dataDir = join(parent, 'data');
      await mkdir(dataDir, { mode: 0o755 });
      if (asRoot) await chown(dataDir, NOBODY, NOBODY);
      failing = await startService({ dataDir, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });
      const on = failing.port;
      await chmod(dataDir, 0o555);
      const got = await exchange('GET / HTTP/1.1\r\nHost: visits\r\n\r\n', on);
      const head = await exchange('HEAD / HTTP/1.1\r\nHost: visits\r\n\r\n', on);
      expect(status(got)).toBe(503);
      expect(headers(head)).toEqual(headers(got));
      await chmod(dataDir, 0o755);
      const ready = failing.monitorUrl;
      await waitFor('readiness to heal', { timeoutMs: 20_000, everyMs: 200 }, async () =>
        (await get(`${ready}/health/ready`)).status === 200 ? true : undefined,
      );
      expect(status(await exchange('HEAD / HTTP/1.1\r\nHost: visits\r\n\r\n', on))).toBe(200);
    } finally {
      await failing?.cleanup();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('request lines that are not plain HTTP/1.x', () => {
  test.each([
    ['HTTP/0.9', 'GET / HTTP/0.9\r\n\r\n'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\n\r\n'],
  ])('GET / as %s gets 505, well-formed, and is not counted', async (_name, request) => {
    const before = await currentCount(service.url);
    const received = await exchange(request);
    expect(status(received)).toBe(505);
    expect(received).toMatch(/^connection: close\r$/im);
    expect(await currentCount(service.url)).toBe(before);
  });

  test('GET / as HTTP/1.0 is a visit', async () => {
    const before = await currentCount(service.url);
    expect(status(await exchange('GET / HTTP/1.0\r\n\r\n'))).toBe(200);
    expect(await currentCount(service.url)).toBe(before + 1);
  });

  test('the one-line HTTP/0.9 form is never a complete request: nothing is counted, the header timeout closes it', async () => {
    const before = await currentCount(service.url);
    const outcome = await rawConnection(service.host, service.port, (socket) => socket.write('GET /\r\n'), 15_000);
    expect(outcome.closedAfterMs).toBeLessThan(HTTP_LIMITS.headersTimeoutMs + 3000);
    expect(await currentCount(service.url)).toBe(before);
  });

  test('CONNECT gets 405 with an empty Allow, and the connection closes', async () => {
    const before = await currentCount(service.url);
    const received = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(status(received)).toBe(405);
    expect(received).toMatch(/^Allow: \r$/m);
    expect(received).toMatch(/"statusCode":405/);
    expect(await currentCount(service.url)).toBe(before);
  });

  test('Upgrade: h2c is ignored (RFC 9110 §7.8): GET / is served over HTTP/1.1 and counted once, and the connection stays HTTP/1.1', async () => {
    const before = await currentCount(service.url);
    const upgrade =
      'GET / HTTP/1.1\r\nHost: visits\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
    // As an h2c client does, the next request only after the answer (Node drops bytes sent behind an Upgrade request).
    const outcome = await rawConnection(
      service.host,
      service.port,
      (socket) => {
        socket.write(upgrade);
        socket.once('data', () => socket.write('GET /visits HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n\r\n'));
      },
      5000,
    );
    const statuses = [...outcome.received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 200]);
    expect(outcome.received).not.toMatch(/^upgrade:/im);
    expect(await currentCount(service.url)).toBe(before + 1);
  });
});

test('bytes after a request that said Connection: close are left unread: that request still gets its answer', async () => {
  const before = await currentCount(service.url);
  const outcome = await rawConnection(
    service.host,
    service.port,
    (socket) => socket.write('GET / HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n\r\nGET /visits HTTP/1.1\r\nHost: visits\r\n\r\n'),
    5000,
  );
  // Before, the parser's 400 went out ahead of the visit's answer and the socket was destroyed: counted, answered 400.
  expect([...outcome.received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))).toEqual([200]);
  expect(JSON.parse(outcome.received.slice(outcome.received.indexOf('\r\n\r\n') + 4))).toMatchObject({ visits: before + 1 });
  expect(await currentCount(service.url)).toBe(before + 1);
});

test(`at most ${HTTP_LIMITS.headerFields} header fields, however short: one more gets 431 far under the ${HTTP_LIMITS.headerBytes}-byte head limit`, async () => {
  // Host and Connection are two of them. 1,000 empty fields are 4 KB: it is Node's count, not the bytes, that refuses the next.
  const request = (fields: number): string =>
    `GET /visits HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n${Array.from({ length: fields - 2 }, (_, i) => `X-${i}:\r\n`).join('')}\r\n`;
  const atLimit = await exchange(request(HTTP_LIMITS.headerFields));
  const overLimit = request(HTTP_LIMITS.headerFields + 1);
  expect(status(atLimit)).toBe(200);
  expect(overLimit.length).toBeLessThan(HTTP_LIMITS.headerBytes / 2);
  expect(status(await exchange(overLimit))).toBe(431);
});

test('requests refused before Fastify are in the HTTP metrics, and pipelined visits in visits_refused_total', async () => {
  const before = await metrics();
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: \r\n`).join('');
  // Each on a connection of its own; the burst is one write of more requests than one connection may have in hand.
  const burst = 'GET / HTTP/1.1\r\nHost: visits\r\n\r\n'.repeat(HTTP_LIMITS.pendingPerConnection * 4);
  const received = await Promise.all([
    exchange('GET / HTTP/1.1\r\nHost: visits\r\nContent-Length: 5\r\n\r\nhello'),
    exchange('GET / HTTP/2.0\r\n\r\n'),
    exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
    exchange('GET / HTTP/1.1\r\nHost: visits\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
    exchange(`GET /visits HTTP/1.1\r\nHost: visits\r\n${fields(HTTP_LIMITS.headerFields)}\r\n`),
    rawConnection(service.host, service.port, (socket) => socket.write(burst), 15_000).then((outcome) => outcome.received),
    exchange('GET /visits HTTP/1.1\r\nHost: visits\r\nExpect: something-else\r\n\r\n'),
  ]);
  expect(received.map(status)).toEqual([413, 505, 405, 400, 431, 200, 417]);
  expect(received[5]).toMatch(/HTTP\/1\.1 503 /);
  const after = await metrics();
  const rose = (method: string, code: number): number => refusedCount(after, method, code) - refusedCount(before, method, code);
  expect(rose('GET', 413)).toBe(1);
  expect(rose('GET', 505)).toBe(1);
  expect(rose('CONNECT', 405)).toBe(1);
  expect(rose('unparsed', 400)).toBe(1);
  expect(rose('unparsed', 431)).toBe(1);
  expect(rose('GET', 503)).toBe(1);
  expect(rose('GET', 417)).toBe(1);
  const pipelined = (text: string): number => metricValue(text, 'visits_refused_total', 'reason="pipelining"') ?? 0;
  expect(pipelined(before)).toBe(0);
  expect(pipelined(after)).toBeGreaterThanOrEqual(1);
});
