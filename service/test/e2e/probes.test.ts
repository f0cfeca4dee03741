import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { breakWrites, healWrites } from '../support/break-writes';
import { createTestApp, type TestApp } from '../support/test-app';

describe('probes follow the store as it breaks and heals', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await healWrites(t.dataDir);
    await t.close();
  });

  it('a failed persist answers 503, lowers readiness, keeps liveness, logs one line, and heals by itself', async () => {
    expect((await t.get('/')).status).toBe(200);
    await breakWrites(t.dataDir);

    const refused = await t.get('/');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/not recorded.*EISDIR/) });
    expect(await readFile(join(t.dataDir, 'visits'), 'utf8')).toBe('1\n');
    expect((await t.get('/visits')).body).toMatchObject({ visits: 1 });

    const failureLines = t.logs.filter((line) => line.msg === 'persist failed: visits answered 503, count unchanged');
    expect(failureLines).toHaveLength(1);
    expect(failureLines[0]).toMatchObject({ level: 'error', pod: 'visits-0', reason: 'EISDIR' });

    const ready = await t.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'error', error: { persist: { status: 'down', reason: 'EISDIR' } } });
    expect((await t.get('/health/live')).status).toBe(200);
    expect((await t.get('/health/startup')).status).toBe(200);

    const metrics = (await t.get('/metrics')).text;
    expect(metrics).toMatch(/^visits_persist_failures_total\{reason="EISDIR"\} [1-9]/m);

    // No visit needed: the readiness probe's own retry heals the store.
    await healWrites(t.dataDir);
    const healed = await t.get('/health/ready');
    expect(healed.status).toBe(200);
    expect(healed.body).toMatchObject({ status: 'ok', info: { persist: { status: 'up' } } });
    expect((await t.get('/')).body).toMatchObject({ visits: 2 });
  });

  it('readiness goes down when the data directory stops taking writes', async () => {
    // The probe file's name taken by a directory: open(2) fails for root as well.
    const { mkdir, rmdir } = await import('node:fs/promises');
    const probe = join(t.dataDir, '.visits.probe');
    await mkdir(probe);
    const ready = await t.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: { data_dir: { status: 'down', reason: 'EISDIR' } } });
    await rmdir(probe);
    expect((await t.get('/health/ready')).status).toBe(200);
  });

  it('readiness goes down at once when shutdown begins, liveness stays up', async () => {
    t.context.lifecycle.beginShutdown();
    const ready = await t.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ error: { lifecycle: { status: 'down', message: 'shutting down' } } });
    expect((await t.get('/health/live')).status).toBe(200);
    expect((await t.get('/')).status).toBe(200); // still serving during the delay
  });

  it('once shutdown begins, every answer closes its connection, so keep-alive clients move to other replicas', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      expect(await connectionHeader(t.url, agent)).toBe('keep-alive');
      t.context.lifecycle.beginShutdown();
      expect(await connectionHeader(t.url, agent)).toBe('close');
    } finally {
      agent.destroy();
    }
  });
});

/** GET / over `agent`; the answer's Connection header (fetch does not show it). */
function connectionHeader(base: string, agent: Agent): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    request(`${base}/`, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.headers.connection));
    })
      .on('error', reject)
      .end();
  });
}
