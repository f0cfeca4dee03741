import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_COUNT } from '../../src/counter/count-format';
import { createTestApp, type TestApp } from '../support/test-app';

describe('HTTP API (Nest + real Fastify adapter, real loopback socket, real files)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({}, { APP_VERSION: '1.4.2', APP_COMMIT: '0123abc' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('GET / records a visit durably and says which pod counted it', async () => {
    const first = await t.get('/');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ visits: 1, pod: 'visits-0' });
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect((await t.get('/')).body).toEqual({ visits: 2, pod: 'visits-0' });
    expect(await readFile(join(t.dataDir, 'visits'), 'utf8')).toBe('2\n');
  });

  it('GET /visits shows the count and records nothing', async () => {
    await t.get('/');
    expect((await t.get('/visits')).body).toEqual({ visits: 1, pod: 'visits-0' });
    expect((await t.get('/visits')).body).toEqual({ visits: 1, pod: 'visits-0' });
  });

  it('HEAD / answers as GET / would, and records nothing: link checkers and monitors are not visits', async () => {
    await t.get('/');
    for (let i = 0; i < 5; i++) {
      const head = await fetch(`${t.url}/`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toMatch(/^application\/json/);
      expect(head.headers.get('cache-control')).toBe('no-store');
      expect(await head.text()).toBe('');
    }
    expect((await t.get('/visits')).body).toEqual({ visits: 1, pod: 'visits-0' });
    expect(await readFile(join(t.dataDir, 'visits'), 'utf8')).toBe('1\n');
  });

  it('counts concurrent visits over HTTP exactly', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => t.get('/')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const numbers = answers.map((a) => (a.body as { visits: number }).visits).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect((await t.get('/visits')).body).toMatchObject({ visits: 200 });
  });

  it('GET /version reports the baked-in version and commit', async () => {
    expect((await t.get('/version')).body).toEqual({ version: '1.4.2', commit: '0123abc' });
  });

  it.each(['/health/live', '/health/ready', '/health/startup'])('%s answers Terminus JSON with 200 when healthy', async (path) => {
    const probe = await t.get(path);
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({ status: 'ok', error: {} });
    expect(Object.keys(probe.body as object).sort()).toEqual(['details', 'error', 'info', 'status']);
  });

  it('readiness reports each of its checks', async () => {
    const ready = await t.get('/health/ready');
    expect(Object.keys((ready.body as { details: object }).details).sort()).toEqual([
      'counter',
      'data_dir',
      'data_volume',
      'lifecycle',
      'persist',
    ]);
  });

  it('unknown routes answer 404 with a JSON body', async () => {
    const missing = await t.get('/no/such/route?x=1');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('unknown methods on known routes are refused with 4xx and count nothing', async () => {
    for (const method of ['POST', 'DELETE', 'PATCH']) {
      const response = await fetch(`${t.url}/`, { method, signal: AbortSignal.timeout(5000) });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect((await t.get('/visits')).body).toMatchObject({ visits: 0 });
  });
});

describe('the count at its upper edge, 2^53-1', () => {
  let t: TestApp | undefined;
  let dir: string;
  afterEach(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses the visit past it with 507, counts the refusal, and leaves the file readable', async () => {
    dir = await mkdtemp(join(tmpdir(), 'visits-edge-'));
    await writeFile(join(dir, 'visits'), `${MAX_COUNT - 1}\n`);
    t = await createTestApp({ dataDir: dir });
    expect((await t.get('/')).body).toEqual({ visits: MAX_COUNT, pod: 'visits-0' });
    for (let i = 0; i < 3; i++) {
      const refused = await t.get('/');
      expect(refused.status).toBe(507);
      expect(refused.body).toMatchObject({ statusCode: 507, message: expect.stringContaining(`at its limit ${MAX_COUNT}`) as unknown });
    }
    expect((await t.get('/visits')).body).toEqual({ visits: MAX_COUNT, pod: 'visits-0' });
    expect(await readFile(join(dir, 'visits'), 'utf8')).toBe(`${MAX_COUNT}\n`);
    expect((await t.get('/metrics')).text).toMatch(/^visits_refused_total\{reason="count_limit"\} 3$/m);
  });
});
