import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '@visits/test-support/service-process';

async function status(url: string): Promise<number | 'refused'> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'refused';
  }
}

describe('graceful shutdown of the built service', () => {
  let service: ServiceProcess | undefined;
  afterEach(async () => {
    await service?.cleanup();
    service = undefined;
  });

  it('SIGTERM: readiness fails first, visits keep being served, in-flight finish, the count is flushed, exit 0', async () => {
    const delayMs = 1500;
    service = await startService({ env: { SHUTDOWN_DELAY_MS: String(delayMs), LOG_LEVEL: 'info' } });
    const { url, monitorUrl } = service;
    expect(await status(`${monitorUrl}/health/ready`)).toBe(200);

    // A steady load that runs across the whole shutdown.
    const outcomes: Array<number | 'refused'> = [];
    let stop = false;
    const client = async () => {
      while (!stop) outcomes.push(await status(`${url}/`));
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 200));

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(`${monitorUrl}/health/ready`)).toBe(503);
    expect(await status(`${monitorUrl}/health/live`)).toBe(200);
    const duringDelay = await status(`${url}/`);
    outcomes.push(duringDelay);
    expect(duringDelay).toBe(200);

    const code = await service.exited;
    const elapsed = Date.now() - signalledAt;
    stop = true;
    await Promise.all(clients);

    expect(code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(delayMs);
    expect(elapsed).toBeLessThan(delayMs + 2000); // close and flush take milliseconds; 2 s is room for a busy machine
    // Every answer was a success or a refused connection: nothing cut off, nothing 5xx.
    expect(outcomes.filter((o) => o !== 200 && o !== 'refused')).toEqual([]);
    const served = outcomes.filter((o) => o === 200).length;
    expect(served).toBeGreaterThan(0);
    // Everything acknowledged is on disk (GET / with status 200 are the only writes).
    expect(Number(await readFile(join(service.dataDir, 'visits'), 'utf8'))).toBe(served);
    expect(service.output()).toContain('shutdown complete');
  });

  it('a client holding a half-sent request cannot hold the exit past the drain deadline (5 s)', async () => {
    service = await startService();
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    const socket = connect(service.port, service.host);
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n'); // the headers never end
    await new Promise((r) => setTimeout(r, 200));
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    const code = await service.exited;
    socket.destroy();
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000 + 1500);
    expect(service.output()).toContain('drain deadline passed');
    expect(await readFile(join(service.dataDir, 'visits'), 'utf8')).toBe('1\n');
  }, 20_000); // the 5 s drain deadline itself, beyond jest's default 5 s when this project runs alone

  it('a second signal exits at once', async () => {
    service = await startService({ env: { SHUTDOWN_DELAY_MS: '30000' } });
    service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const secondAt = Date.now();
    service.child.kill('SIGINT');
    const code = await service.exited;
    expect(Date.now() - secondAt).toBeLessThan(1000);
    expect(code).toBe(1);
  });
});
