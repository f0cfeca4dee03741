import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, startService, type ServiceProcess } from '../support/service-process';
import { oversizedCases, randomCase, slowCase, type FuzzCase } from './support/fuzz-cases';
import { sendCase, type FuzzOutcome } from './support/fuzz-client';
import { currentCount, get } from './support/probe';
import { seededRandom } from './support/random';

/**
 * Hostile HTTP over raw sockets: random methods, paths, query strings, headers and bodies,
 * garbage, pipelining, truncated, slow and oversized requests, and a thousand connections at
 * once, with the token-guarded PUT /visits enabled. The process must survive, the count must not
 * move (the fuzzer never sends GET or HEAD to "/" and never knows the token), and every byte the
 * server sends must form well-formed HTTP responses.
 */
jest.setTimeout(150_000);

const RANDOM_CASES = 3000;
const CONCURRENCY = 48;
const SIMULTANEOUS_CONNECTIONS = 1000;
// 'refused': requests answered before routing (413, 431, 505, the parser's 400, …: service/src/http/refusals.ts).
const KNOWN_ROUTES = new Set(['/', '/visits', '/visits/cluster', '/version', 'unmatched', 'refused']);

let service: ServiceProcess | undefined;
let tokenDir: string | undefined;

afterAll(async () => {
  await service?.cleanup();
  if (tokenDir) await rm(tokenDir, { recursive: true, force: true });
});

async function runPool(cases: FuzzCase[], concurrency: number): Promise<FuzzOutcome[]> {
  const outcomes: FuzzOutcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const fuzzCase = cases[next++]!;
      outcomes.push(await sendCase(service!.host, service!.port, fuzzCase));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

test('hostile requests never crash the service, never change the count, and get well-formed answers', async () => {
  const random = seededRandom();
  // PUT /visits (the restore route) is enabled with a token the fuzzer never learns.
  tokenDir = await makeTempDir('visits-fuzz-token-');
  const tokenFile = join(tokenDir, 'admin-token');
  await writeFile(tokenFile, `${randomBytes(32).toString('base64url')}\n`);
  service = await startService({ env: { ADMIN_TOKEN_FILE: tokenFile } });
  for (let i = 0; i < 3; i++) expect((await get(`${service.url}/`)).status).toBe(200);
  const countBefore = await currentCount(service.url);
  const fileBefore = await readFile(join(service.dataDir, 'visits'), 'utf8');

  const outcomes: FuzzOutcome[] = [];
  outcomes.push(
    ...(await runPool(
      Array.from({ length: RANDOM_CASES }, () => randomCase(random)),
      CONCURRENCY,
    )),
  );
  outcomes.push(...(await runPool([...Array.from({ length: 16 }, () => slowCase(random)), ...oversizedCases()], 24)));
  const crowd: FuzzCase = {
    kind: 'random',
    pieces: [Buffer.from('GET /visits HTTP/1.1\r\nHost: x\r\n\r\n')],
    heads: [false],
    mayStall: false,
    description: 'crowd',
  };
  const crowdOutcomes = await Promise.all(
    Array.from({ length: SIMULTANEOUS_CONNECTIONS }, () => sendCase(service!.host, service!.port, crowd, 30_000)),
  );
  outcomes.push(...crowdOutcomes);

  const requests = outcomes.reduce((sum, o) => sum + o.fuzzCase.heads.length, 0);
  const statuses = new Map<number, number>();
  for (const o of outcomes) for (const r of o.responses) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  const faults = outcomes.filter((o) => o.fault);
  console.log(
    `fuzz suite (seed ${random.seed}): ${requests} requests fuzzed over ${outcomes.length} connections ` +
      `(${SIMULTANEOUS_CONNECTIONS} at once), ${outcomes.filter((o) => o.silent).length} closed silently (incomplete or unparseable input), ` +
      `${faults.length} faults; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
  );
  expect(faults.slice(0, 10).map((o) => `${o.fault} <- ${o.fuzzCase.kind}: ${JSON.stringify(o.fuzzCase.description)}`)).toEqual([]);
  expect(crowdOutcomes.every((o) => o.responses.some((r) => r.status === 200))).toBe(true);
  // Oversized input is refused, not processed.
  expect([...statuses.keys()].some((s) => s === 431 || s === 413)).toBe(true);

  expect(service.child.exitCode).toBeNull();
  expect(service.child.signalCode).toBeNull();
  expect((await get(`${service.monitorUrl}/health/live`)).status).toBe(200);
  expect((await get(`${service.monitorUrl}/health/ready`)).status).toBe(200);
  expect(await currentCount(service.url)).toBe(countBefore);
  expect(await readFile(join(service.dataDir, 'visits'), 'utf8')).toBe(fileBefore);

  // Random paths and methods must not explode the metrics: the route label is a template.
  const metrics = (await get(`${service.monitorUrl}/metrics`)).body;
  const routes = new Set([...metrics.matchAll(/^http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map((m) => m[1]!));
  expect([...routes].filter((route) => !KNOWN_ROUTES.has(route))).toEqual([]);
  const series = metrics.split('\n').filter((line) => line.startsWith('http_request_duration_seconds_count{')).length;
  expect(series).toBeLessThan(300);

  // And it still counts.
  expect(JSON.parse((await get(`${service.url}/`)).body)).toMatchObject({ visits: countBefore + 1 });
});
