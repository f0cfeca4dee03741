import { connect } from 'node:net';
import { startService, type ServiceProcess } from '@visits/test-support/service-process';

/** Sends raw bytes and returns the status code of the first response (or 'closed'). */
function raw(service: ServiceProcess, payload: string | Buffer): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect(service.port, service.host);
    let received = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.[01] (\d{3}) /.exec(received);
      resolve(match ? Number(match[1]) : 'closed');
    });
    socket.write(payload, () => socket.end());
  });
}

describe('bad input never crashes the service or changes the count', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startService();
    await fetch(`${service.url}/`);
  });
  afterAll(async () => {
    await service.cleanup();
  });

  it.each([
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
    ['a bad HTTP version', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
    ['a huge URL', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a huge header', `GET /visits HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`],
    ['an unknown method', 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['POST with a body', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a":1}\r\n'],
    [
      'a body that is too large',
      `PUT / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100_000)}`,
    ],
    ['a lying content length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nshort'],
    ['a path with encoded junk', 'GET /%ZZ%00/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('%s gets a 4xx (or a closed connection) and changes nothing', async (_name, payload) => {
    const answer = await raw(service, payload);
    if (answer !== 'closed') {
      expect(answer).toBeGreaterThanOrEqual(400);
      expect(answer).toBeLessThan(500);
    }
    const after = await fetch(`${service.url}/visits`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ visits: 1 });
  });

  it('is still alive and counting afterwards', async () => {
    expect(service.child.exitCode).toBeNull();
    expect((await fetch(`${service.monitorUrl}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/`)).json()).toMatchObject({ visits: 2 });
  });
});
