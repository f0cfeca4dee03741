import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { startInPodLimits, type InPodLimits } from '../support/pod-limits';
import type { ServiceProcess } from '../support/service-process';
import { httpGet } from './support/http-get';

/**
 * Pipelined GET /metrics must not grow a replica past its memory limit (issue 28, item 2): the
 * pending-request limit bounds requests, and a /metrics answer is tens of KB. 256 connections on
 * each port send 32 GET /metrics at once and never read, against the service in its pod's memory
 * cgroup and network namespace (both read from the StatefulSet, as tests/faults/backpressure does
 * for GET /). The replica stays under its limit and its probes keep answering within 1 s.
 */
jest.setTimeout(120_000);

const CONNECTIONS = 256;
const PIPELINED = 32;
const WITHIN_MS = 5000;

let service: ServiceProcess | undefined;
let pod: InPodLimits | undefined;
const flood: Socket[] = [];

afterEach(async () => {
  for (const socket of flood) socket.destroy();
  await pod?.remove();
  pod = undefined;
  await service?.cleanup();
  service = undefined;
});

const fresh = new Agent({ keepAlive: false });

/** A busy replica's /metrics: every method, route and status the HTTP histogram can see gets its series. */
async function fillHttpHistogram(url: string): Promise<void> {
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
  const paths = ['/', '/visits', '/visits/cluster', '/version', '/nope'];
  for (const method of methods) {
    await Promise.all(
      paths.map(
        (path) =>
          new Promise<void>((resolve) => {
            const socket = connect(Number(new URL(url).port), new URL(url).hostname);
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
            socket.on('data', () => undefined);
            socket.end(`${method} ${path} HTTP/1.1\r\nHost: visits\r\nConnection: close\r\n\r\n`);
          }),
      ),
    );
  }
}

/** `connections` sockets, each writing `PIPELINED` GET /metrics in one go, never reading. */
function pipelineScrapes(host: string, port: number, connections: number): void {
  const burst = 'GET /metrics HTTP/1.1\r\nHost: visits\r\n\r\n'.repeat(PIPELINED);
  for (let i = 0; i < connections; i++) {
    const socket = connect(port, host);
    socket.pause(); // never read
    socket.on('error', () => undefined); // closing or resetting them is the server's right
    socket.on('connect', () => socket.write(burst));
    flood.push(socket);
  }
}

const slowest = { ms: 0 };

async function answeredWithin(url: string): Promise<string> {
  const started = Date.now();
  try {
    return String((await httpGet(url, fresh, WITHIN_MS)).status);
  } catch (err) {
    return `no answer: ${(err as Error).message}`;
  } finally {
    slowest.ms = Math.max(slowest.ms, Date.now() - started);
  }
}

test(`${CONNECTIONS} connections per port pipelining ${PIPELINED} GET /metrics without reading stay under the pod's memory limit; the probes answer`, async () => {
  pod = await startInPodLimits('visits-mf');
  const { cgroup, limitBytes: limit } = pod;
  service = pod.service;

  await fillHttpHistogram(service.url);
  const scrapeBytes = (await httpGet(`${service.monitorUrl}/metrics`, fresh)).body.length;
  const before = await cgroup.peakBytes();

  pipelineScrapes(service.host, service.port, CONNECTIONS);
  pipelineScrapes(service.host, service.monitorPort, CONNECTIONS);
  const rounds: Array<Record<string, string>> = [];
  for (let i = 0; i < 20 && service.child.exitCode === null; i++) {
    const [live, ready, client] = await Promise.all([
      answeredWithin(`${service.monitorUrl}/health/live`),
      answeredWithin(`${service.monitorUrl}/health/ready`),
      answeredWithin(`${service.url}/visits`),
    ]);
    rounds.push({ live: live!, ready: ready!, client: client! });
    await new Promise((r) => setTimeout(r, 250));
  }
  const peak = await cgroup.peakBytes();
  console.log(
    `/metrics ${(scrapeBytes / 1024).toFixed(0)} KB; ${2 * CONNECTIONS} connections pipelining ${PIPELINED} each: peak memory ` +
      `${(before / 2 ** 20).toFixed(0)} → ${(peak / 2 ** 20).toFixed(0)} MiB of ${limit / 2 ** 20}; slowest answer ${slowest.ms} ms`,
  );

  expect(await cgroup.oomKills()).toBe(0);
  expect(service.child.exitCode).toBeNull();
  expect(service.child.signalCode).toBeNull();
  expect(peak).toBeLessThan(limit);
  expect(rounds).toEqual(Array(20).fill({ live: '200', ready: '200', client: '200' }));
});
