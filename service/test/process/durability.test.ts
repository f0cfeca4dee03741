import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, startService, type ServiceProcess } from '@visits/test-support/service-process';

/** GET / once; the visit number when acknowledged with 200, else undefined. */
async function visit(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) return undefined;
    return ((await response.json()) as { visits: number }).visits;
  } catch {
    return undefined;
  }
}

async function count(url: string): Promise<number> {
  const response = await fetch(`${url}/visits`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { visits: number }).visits;
}

describe('durability of the built service under SIGKILL', () => {
  let dataDir: string;
  const running: ServiceProcess[] = [];
  beforeEach(async () => {
    dataDir = await makeTempDir('visits-kill-');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.cleanup()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged visit when the process is killed after answering', async () => {
    const first = await startService({ dataDir });
    running.push(first);
    const acknowledged = (await Promise.all(Array.from({ length: 300 }, () => visit(first.url)))).filter((n) => n !== undefined);
    expect(acknowledged).toHaveLength(300);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    expect(await readFile(join(dataDir, 'visits'), 'utf8')).toBe('300\n');
    const second = await startService({ dataDir });
    running.push(second);
    expect(await count(second.url)).toBe(300);
    expect(await visit(second.url)).toBe(301);
  });

  it('after a kill in the middle of a load: acknowledged ≤ count ≤ attempted', async () => {
    const first = await startService({ dataDir });
    running.push(first);
    let attempted = 0;
    let acknowledged = 0;
    let stop = false;
    const client = async () => {
      while (!stop) {
        attempted += 1;
        if ((await visit(first.url)) !== undefined) acknowledged += 1;
      }
    };
    const clients = Array.from({ length: 16 }, client);
    await new Promise((r) => setTimeout(r, 400));
    await first.stop('SIGKILL');
    stop = true;
    await Promise.all(clients);

    const second = await startService({ dataDir });
    running.push(second);
    const counted = await count(second.url);
    expect(acknowledged).toBeGreaterThan(0);
    expect(counted).toBeGreaterThanOrEqual(acknowledged);
    expect(counted).toBeLessThanOrEqual(attempted);
  });
});
