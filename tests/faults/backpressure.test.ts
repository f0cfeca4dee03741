import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { HTTP_LIMITS } from '../../service/src/http/http-limits';
import { startInPodLimits, type InPodLimits } from '../support/pod-limits';
import { startService, type ServiceProcess } from '../support/service-process';
import { pipelineFlood } from './support/pipeline-flood';
import { currentCount, get } from './support/probe';

/**
 * Backpressure: a client that pipelines requests and never reads the answers must cost a bounded
 * amount of memory. The service runs as in its pod: in a memory cgroup with the pod's limit, and in
 * a network namespace with the pod's sysctls, both read from the StatefulSet. Running out of memory
 * is then a real OOM kill, as the kubelet's cgroup would do it.
 */
jest.setTimeout(90_000);

const PENDING_PER_CONNECTION = HTTP_LIMITS.pendingPerConnection;

let service: ServiceProcess | undefined;
let pod: InPodLimits | undefined;

afterEach(async () => {
  await pod?.remove();
  pod = undefined;
  await service?.cleanup();
  service = undefined;
});

test("256 connections pipelining GET / without reading neither OOM-kill a replica under the pod's limits nor starve other clients", async () => {
  pod = await startInPodLimits('visits-bp');
  const { cgroup, limitBytes: limit } = pod;
  service = pod.service;

  const connections = 256;
  const flood = pipelineFlood(service.host, service.port, connections);
  const slowest: number[] = [];
  try {
    // A well-behaved client keeps being served throughout.
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const answer = await get(`${service.url}/visits`);
      expect(answer.status).toBe(200);
      slowest.push(Date.now() - started);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    flood.stop();
  }
  console.log(
    `flood of ${connections} connections: peak memory ${((await cgroup.peakBytes()) / 2 ** 20).toFixed(0)} MiB of ${limit / 2 ** 20}, slowest answer to another client ${Math.max(...slowest)} ms`,
  );
  expect(service.child.exitCode).toBeNull();
  expect(service.child.signalCode).toBeNull();
  expect(await cgroup.oomKills()).toBe(0);
  expect(await cgroup.peakBytes()).toBeLessThan(limit);
  // Slower than the readiness probe's 3 s timeout twice in a row would take the pod out of the Service.
  expect(Math.max(...slowest)).toBeLessThan(3000);
  // Each flooding connection had at most its pending limit handled; what else it sent was never read.
  expect(flood.requestsWritten()).toBeGreaterThan(connections * PENDING_PER_CONNECTION * 10);
  const counted = await currentCount(service.url);
  expect(counted).toBeGreaterThan(0);
  expect(counted).toBeLessThanOrEqual(connections * PENDING_PER_CONNECTION);
  expect(await readFile(join(service.dataDir, 'visits'), 'utf8')).toBe(`${counted}\n`);
});

test('a connection gets at most its pending limit handled; the next pipelined request gets 503, Retry-After and the connection closes', async () => {
  service = await startService();
  const requests = 100;
  const answers = await new Promise<string>((resolve, reject) => {
    const socket = connect(service!.port, service!.host);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    // One write: the service parses all 100 before the first is on disk.
    socket.write('GET / HTTP/1.1\r\nHost: visits\r\n\r\n'.repeat(requests));
    setTimeout(() => socket.destroy(new Error(`connection still open after 10 s; received:\n${received.slice(-500)}`)), 10_000).unref();
  });
  const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  expect(statuses.slice(0, PENDING_PER_CONNECTION)).toEqual(Array(PENDING_PER_CONNECTION).fill(200));
  expect(statuses[PENDING_PER_CONNECTION]).toBe(503);
  expect(statuses.length).toBeLessThan(requests);
  const refusal = answers.slice(answers.indexOf('HTTP/1.1 503'));
  expect(refusal).toMatch(/^retry-after: 1\r$/im);
  expect(refusal).toMatch(/^connection: close\r$/im);
  expect(await currentCount(service.url)).toBe(PENDING_PER_CONNECTION);
});
