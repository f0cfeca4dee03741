import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { HTTP_LIMITS } from '../../service/src/http/http-limits';
import { startService, type ServiceProcess } from '../support/service-process';
import { currentCount, get } from './support/probe';
import { rawConnection, trickle } from './support/raw-connection';

/**
 * The limits docs/security.md states (service/src/http/http-limits.ts), proven against the built
 * service over real sockets: body sizes, header and request timeouts, idle connections, idle
 * keep-alive, and the connection count. The slow cases run side by side; the longest is the 65 s
 * keep-alive.
 */
jest.setTimeout(120_000);

const { headersTimeoutMs, requestTimeoutMs, socketIdleMs, keepAliveIdleMs, connections: CONNECTIONS, bodyBytes } = HTTP_LIMITS;

let service: ServiceProcess;
const token = randomBytes(32).toString('base64url');

beforeAll(async () => {
  service = await startService({ adminToken: token });
});
afterAll(async () => {
  await service?.cleanup();
});

const status = (received: string): number | undefined => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]) || undefined;

test('a body on GET / gets 413 before anything is counted, and the connection closes without reading it', async () => {
  const before = await currentCount(service.url);
  const announced = await rawConnection(
    service.host,
    service.port,
    (socket) => socket.write(`GET / HTTP/1.1\r\nHost: visits\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n${'x'.repeat(64 * 1024)}`),
    5000,
  );
  expect(status(announced.received)).toBe(413);
  expect(announced.received).toMatch(/GET takes no request body/);
  const chunked = await rawConnection(
    service.host,
    service.port,
    (socket) => {
      socket.write('GET / HTTP/1.1\r\nHost: visits\r\nTransfer-Encoding: chunked\r\n\r\n');
      trickle(socket, '1\r\nx\r\n'.repeat(100));
    },
    5000,
  );
  expect(status(chunked.received)).toBe(413);
  expect(await currentCount(service.url)).toBe(before);
});

test('a body over 16 KiB gets 413 on a route that reads one', async () => {
  const outcome = await rawConnection(
    service.host,
    service.port,
    (socket) =>
      socket.write(`PUT /visits HTTP/1.1\r\nHost: visits\r\nContent-Type: application/json\r\nContent-Length: ${bodyBytes + 1}\r\n\r\n`),
    5000,
  );
  expect(status(outcome.received)).toBe(413);
});

test('slow and idle clients are cut off at the documented times', async () => {
  // Node checks the timeouts once a second, and the trickle starts a second in.
  const window = (ms: number) => [ms - 500, ms + 3000] as const;
  const [headers, body, silent, keepAlive] = await Promise.all([
    // Headers a byte a second: 408 and closed after the headers timeout.
    rawConnection(
      service.host,
      service.port,
      (socket) => trickle(socket, 'GET /visits HTTP/1.1\r\nHost: visits\r\nX-Slow: ' + 'y'.repeat(100)),
      30_000,
    ),
    // A body a byte a second on the route that reads one (with the token: a refusal would close at once): closed after the request timeout.
    rawConnection(
      service.host,
      service.port,
      (socket) => {
        socket.write(
          `PUT /visits HTTP/1.1\r\nHost: visits\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`,
        );
        trickle(socket, '{"visits": 1' + ' '.repeat(190));
      },
      30_000,
    ),
    // Connected, never a byte: closed after the idle timeout.
    rawConnection(service.host, service.port, () => undefined, 30_000),
    // One request answered, then nothing: the keep-alive idle time.
    rawConnection(service.host, service.port, (socket: Socket) => socket.write('GET /visits HTTP/1.1\r\nHost: visits\r\n\r\n'), 90_000),
  ]);
  console.log(
    `closed after: slow headers ${headers.closedAfterMs} ms, slow body ${body.closedAfterMs} ms, silent ${silent.closedAfterMs} ms, idle keep-alive ${keepAlive.closedAfterMs} ms`,
  );
  expect(headers.closedAfterMs).toBeGreaterThanOrEqual(window(headersTimeoutMs)[0]);
  expect(headers.closedAfterMs).toBeLessThanOrEqual(window(headersTimeoutMs)[1]);
  expect(status(headers.received)).toBe(408);
  expect(body.closedAfterMs).toBeGreaterThanOrEqual(window(requestTimeoutMs)[0]);
  expect(body.closedAfterMs).toBeLessThanOrEqual(window(requestTimeoutMs)[1]);
  expect(silent.closedAfterMs).toBeGreaterThanOrEqual(window(socketIdleMs)[0]);
  expect(silent.closedAfterMs).toBeLessThanOrEqual(window(socketIdleMs)[1]);
  expect(status(keepAlive.received)).toBe(200);
  expect(keepAlive.received).toMatch(new RegExp(`^Keep-Alive: timeout=${keepAliveIdleMs / 1000}\r$`, 'm'));
  expect(keepAlive.closedAfterMs).toBeGreaterThanOrEqual(window(keepAliveIdleMs)[0]);
  expect(keepAlive.closedAfterMs).toBeLessThanOrEqual(window(keepAliveIdleMs)[1]);
});

// Idle connections make room instead (tests/faults/idle-connections.test.ts); these are all mid-request.
test(`at most ${CONNECTIONS} connections are open at once; when none is idle the next is closed unanswered, and served again once one closes`, async () => {
  const open: Socket[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: CONNECTIONS },
        () =>
          new Promise<void>((resolve, reject) => {
            // Half a request: busy until its headers time out (10 s), so it is never closed to make room.
            const socket = connect(service.port, service.host, () => socket.write('GET /visits HTTP/1.1\r\n', () => resolve()));
            socket.on('error', reject);
            open.push(socket);
          }),
      ),
    );
    // The server counts a connection when it accepts it: let it take all of them.
    await new Promise((r) => setTimeout(r, 500));
    const extra = await rawConnection(
      service.host,
      service.port,
      (socket) => socket.write('GET /visits HTTP/1.1\r\nHost: visits\r\n\r\n'),
      5000,
    );
    expect(extra.received).toBe('');
    open.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await get(`${service.url}/visits`)).status).toBe(200);
  } finally {
    for (const socket of open) socket.destroy();
  }
});
