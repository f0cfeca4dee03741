import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { HTTP_LIMITS } from '../../service/src/http/http-limits';
import { startService, type ServiceProcess } from '../support/service-process';
import { httpGet } from './support/http-get';

/**
 * Idle keep-alive connections must not lock anyone out (issue 28, item 1). 1,030 clients each
 * send one GET /, read the answer and stay connected and silent: more than the connection limit.
 * Throughout, a new client and the kubelet's three probes are answered within 1 s.
 */
jest.setTimeout(120_000);

const IDLE_CLIENTS = HTTP_LIMITS.connections + 6;
const ROUNDS = 5;
const WITHIN_MS = 1000;

/** A new connection for every request, as a new client and the kubelet make. */
const fresh = new Agent({ keepAlive: false });
let service: ServiceProcess | undefined;
const idle: Socket[] = [];

afterAll(async () => {
  for (const socket of idle) socket.destroy();
  await service?.cleanup();
});

/** Connects, sends one GET / and resolves once the whole answer is in (true) or the server closed first (false). */
function visitAndStay(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    idle.push(socket);
    let received = '';
    socket.on('error', () => undefined); // a reset is a close too
    socket.once('close', () => resolve(false));
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: visits\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const head = received.indexOf('\r\n\r\n');
      const length = Number(/^content-length: (\d+)\r$/im.exec(received)?.[1]);
      if (head >= 0 && received.length >= head + 4 + length) resolve(true);
    });
  });
}

/** The status a fresh connection's GET gets within WITHIN_MS, or why it got none. */
async function answeredWithin(url: string): Promise<string> {
  const started = Date.now();
  try {
    const { status } = await httpGet(url, fresh, WITHIN_MS);
    return `${status}${Date.now() - started > WITHIN_MS ? ` after ${Date.now() - started} ms` : ''}`;
  } catch (err) {
    return `no answer: ${(err as Error).message}`;
  }
}

test(`${IDLE_CLIENTS} idle keep-alive clients: a new client and the probes are answered within 1 s, again and again`, async () => {
  service = await startService();
  const answered: boolean[] = [];
  // In batches, so each client's visit is answered before the next batch connects.
  for (let i = 0; i < IDLE_CLIENTS; i += 50) {
    const batch = Math.min(50, IDLE_CLIENTS - i);
    answered.push(...(await Promise.all(Array.from({ length: batch }, () => visitAndStay(service!.host, service!.port)))));
  }

  const outcomes: Array<Record<string, string>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [client, live, ready, startup] = await Promise.all([
      answeredWithin(`${service.url}/visits`),
      answeredWithin(`${service.monitorUrl}/health/live`),
      answeredWithin(`${service.monitorUrl}/health/ready`),
      answeredWithin(`${service.monitorUrl}/health/startup`),
    ]);
    outcomes.push({ client: client!, live: live!, ready: ready!, startup: startup! });
    await new Promise((r) => setTimeout(r, 1000));
  }
  const stillOpen = idle.filter((socket) => !socket.destroyed && socket.readyState === 'open').length;
  console.log(
    `${answered.filter(Boolean).length} of ${IDLE_CLIENTS} idle clients answered, ${stillOpen} still connected after ${ROUNDS} rounds`,
  );

  expect(outcomes).toEqual(Array(ROUNDS).fill({ client: '200', live: '200', ready: '200', startup: '200' }));
  // Every idle client was served; room was made by closing the ones idle longest, one per newcomer.
  expect(answered.filter(Boolean)).toHaveLength(IDLE_CLIENTS);
  expect(stillOpen).toBeGreaterThanOrEqual(HTTP_LIMITS.connections - 2 * ROUNDS);
});
