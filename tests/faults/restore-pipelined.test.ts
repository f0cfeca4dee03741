import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '../support/service-process';
import { parseResponses } from './support/http-response-parser';
import { rawConnection } from './support/raw-connection';

/**
 * PUT /visits with requests pipelined around it on one connection (HTTP/1.1 answers them in the
 * order sent). The contract (docs/operations.md#restoring-a-count): requests on one connection
 * take effect in the order they were sent. A visit sent after the restore is answered after it
 * and counted on top of it, never overwritten by it; a visit sent before it is overwritten.
 * Node hands the pipelined requests over at once, while the restore still reads its token file:
 * without ordering, the visits behind it were applied first and then lost to it.
 */
jest.setTimeout(60_000);

const TOKEN = 'pipelined-restore-token';
let service: ServiceProcess;

beforeAll(async () => {
  service = await startService({ adminToken: TOKEN });
}, 60_000);

afterAll(async () => {
  await service?.cleanup();
});

const visit = 'GET / HTTP/1.1\r\nHost: visits\r\n\r\n';
/** The last request of each pipeline: the server closes the connection after its answer. */
const lastVisit = 'GET / HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n\r\n';
const count = 'GET /visits HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n\r\n';

function restore(body: string, authorization = `Bearer ${TOKEN}`): string {
  const length = Buffer.byteLength(body);
  return `PUT /visits HTTP/1.1\r\nHost: visits\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n${body}`;
}

/** Sends the requests in one write and returns each answer's status and JSON body, in order. */
async function pipeline(requests: string[]): Promise<Array<{ status: number; body: Record<string, unknown> }>> {
  const outcome = await rawConnection(service.host, service.port, (socket) => socket.write(requests.join('')), 10_000);
  const parsed = parseResponses(Buffer.from(outcome.received, 'latin1'), () => false, true);
  expect(parsed.error).toBeUndefined();
  expect(parsed.responses).toHaveLength(requests.length);
  return parsed.responses.map(({ status, body }) => ({ status, body: JSON.parse(body.toString('utf8')) as Record<string, unknown> }));
}

const visitsOf = (answers: Array<{ body: Record<string, unknown> }>) => answers.map(({ body }) => body.visits);

/** The count on disk, asked on a connection of its own once the pipeline's answers are in. */
async function currentCount(): Promise<number> {
  return visitsOf(await pipeline([count]))[0] as number;
}

test('visits pipelined behind a restore are counted on top of it, every time', async () => {
  for (let round = 1; round <= 10; round++) {
    const restored = round * 1000;
    const answers = await pipeline([restore(`{"visits":${restored}}`), ...Array<string>(7).fill(visit), lastVisit]);
    expect(answers.map(({ status }) => status)).toEqual(Array(9).fill(200));
    expect(visitsOf(answers)).toEqual([restored, ...Array.from({ length: 8 }, (_, i) => restored + 1 + i)]);
    expect(await currentCount()).toBe(restored + 8);
    expect(await readFile(join(service.dataDir, 'visits'), 'utf8')).toBe(`${restored + 8}\n`);
  }
});

test('visits before the restore on the same connection are overwritten by it; those after count on', async () => {
  const before = await currentCount();
  const answers = await pipeline([visit, visit, restore('{"visits":500}'), visit, lastVisit]);
  expect(visitsOf(answers)).toEqual([before + 1, before + 2, 500, 501, 502]);
  expect(answers[2]!.body.previous).toBe(before + 2);
  expect(await currentCount()).toBe(502);
});

test('two restores pipelined apply in the order sent, each followed by its visits', async () => {
  const answers = await pipeline([restore('{"visits":70}'), visit, restore('{"visits":80}'), lastVisit]);
  expect(visitsOf(answers)).toEqual([70, 71, 80, 81]);
  expect(await currentCount()).toBe(81);
});

test('a refused restore holds nothing back: the visits behind it count on the current value', async () => {
  const before = await currentCount();
  const answers = await pipeline([restore('{"visits":1e2}'), visit, restore('{"visits":5,"visits":6}'), lastVisit]);
  expect(answers.map(({ status }) => status)).toEqual([400, 200, 400, 200]);
  expect(visitsOf(answers)).toEqual([undefined, before + 1, undefined, before + 2]);
  expect(await currentCount()).toBe(before + 2);
});
