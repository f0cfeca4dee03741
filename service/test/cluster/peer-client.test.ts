import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchPeerCount, peerAddress, PeerRequestError } from '../../src/cluster/peer-client';
import { freePort } from '@visits/test-support/service-process';

/** A real HTTP server on loopback playing peers that answer well, badly, or not at all. */
jest.setTimeout(30_000);

let server: Server;
let base: string;
const stalled: ServerResponse[] = [];

const answers: Record<string, (res: ServerResponse) => void> = {
  '/good/visits': (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"visits":42,"pod":"visits-1"}'),
  '/error/visits': (res) => res.writeHead(503).end('{"statusCode":503}'),
  '/text/visits': (res) => res.writeHead(200).end('hello'),
  '/shape/visits': (res) => res.writeHead(200).end('{"visits":-1,"pod":"visits-1"}'),
  '/nopod/visits': (res) => res.writeHead(200).end('{"visits":1}'),
  '/huge/visits': (res) => res.writeHead(200).end(`{"visits":1,"pod":"${'x'.repeat(10_000)}"}`),
  // Headers sent, body never finished: the timeout must cover the body too.
  '/slowbody/visits': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"visits":');
    stalled.push(res);
  },
  '/stall/visits': (res) => void stalled.push(res),
};

beforeAll(async () => {
  server = createServer((req, res) => (answers[req.url ?? ''] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

/** The client asks http://<address>/visits; a path prefix in the "address" picks the behaviour. */
const ask = (behaviour: string, timeoutMs = 1000) => fetchPeerCount(`${base}/${behaviour}`, timeoutMs);

async function failure(promise: Promise<unknown>): Promise<PeerRequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PeerRequestError);
  return error as PeerRequestError;
}

describe('fetchPeerCount', () => {
  it('returns the pod and count of a healthy peer', async () => {
    await expect(ask('good')).resolves.toEqual({ pod: 'visits-1', visits: 42 });
  });

  it.each([
    ['error', 'status', /HTTP 503/],
    ['text', 'invalid', /not JSON/],
    ['shape', 'invalid', /not \{"visits": n, "pod": name\}/],
    ['nopod', 'invalid', /not \{"visits"/],
    ['huge', 'invalid', /larger than 4096 bytes/],
  ])('refuses a peer whose answer is %s (reason %s)', async (behaviour, reason, message) => {
    const error = await failure(ask(behaviour));
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  it.each(['stall', 'slowbody'])('gives up on a peer that does not finish answering (%s) after the timeout', async (behaviour) => {
    const started = Date.now();
    const error = await failure(ask(behaviour, 300));
    const elapsed = Date.now() - started;
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('no answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });

  it('reports a closed port as refused', async () => {
    const port = await freePort('127.0.0.1');
    const error = await failure(fetchPeerCount(`127.0.0.1:${port}`, 1000));
    expect(error.reason).toBe('refused');
  });

  it('writes IPv6 addresses in brackets', () => {
    expect(peerAddress('fd00::1', 8080)).toBe('[fd00::1]:8080');
    expect(peerAddress('10.0.0.1', 8080)).toBe('10.0.0.1:8080');
  });
});
