import { sampleValue } from '@visits/test-support/prometheus-text';
import { freePort, makeTempDir, startService, type ServiceProcess } from '@visits/test-support/service-process';
import { rm } from 'node:fs/promises';
import type { ClusterAnswer } from '../../src/cluster/cluster-view';
import { startDnsmasq, type DnsServer } from './dnsmasq';

/**
 * The seed lab's "delete a pod, keep its data" demonstration, run locally: three built replicas
 * on their own loopback addresses and data directories, found through a real DNS server
 * (dnsmasq) that publishes the records Kubernetes publishes for the headless Service.
 */
const NS = 'visits.svc.cluster.local';
const HEADLESS = `visits-headless.${NS}`;
const HOSTS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const PEER_TIMEOUT_MS = 500;

// Real processes on a shared 2-core machine: every test has its own generous bound.
jest.setTimeout(30_000);

let dns: DnsServer;
let port: number;
const dataDirs: string[] = [];
const replicas: ServiceProcess[] = [];

/** A port free on all three addresses, so the replicas share one port number as pods do. */
async function commonPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const candidate = await freePort(HOSTS[0]);
    const free = await Promise.all(HOSTS.slice(1).map((host) => isFree(host, candidate)));
    if (free.every(Boolean)) return candidate;
  }
  throw new Error('no common free port');
}

async function isFree(host: string, candidate: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(candidate, host, () => server.close(() => done(true)));
  });
}

function start(i: number): Promise<ServiceProcess> {
  return startService({
    host: HOSTS[i],
    port,
    dataDir: dataDirs[i],
    env: {
      POD_NAME: `visits-${i}`,
      PEER_SERVICE: HEADLESS,
      PEER_DNS_SERVER: dns.server,
      PEER_TIMEOUT_MS: String(PEER_TIMEOUT_MS),
    },
  });
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function visit(replica: ServiceProcess, times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) await json(`${replica.url}/`);
}

const view = (i: number) => json<ClusterAnswer>(`${replicas[i]!.url}/visits/cluster`);
const address = (i: number) => `${HOSTS[i]}:${port}`;

beforeAll(async () => {
  port = await commonPort();
  dns = await startDnsmasq({
    hosts: {
      [HEADLESS]: HOSTS,
      ...Object.fromEntries(HOSTS.map((ip, i) => [`visits-${i}.${HEADLESS}`, [ip]])),
    },
    srv: HOSTS.map((_, i) => ({ name: `_http._tcp.${HEADLESS}`, target: `visits-${i}.${HEADLESS}`, port })),
  });
  for (let i = 0; i < HOSTS.length; i += 1) dataDirs.push(await makeTempDir('visits-cluster-'));
  replicas.push(...(await Promise.all(HOSTS.map((_, i) => start(i)))));
}, 60_000);

afterAll(async () => {
  for (const replica of replicas) {
    // A frozen replica must be woken before it can be stopped.
    replica.child.kill('SIGCONT');
    await replica.cleanup();
  }
  await dns?.stop();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('GET /visits/cluster with three replicas behind a real DNS server', () => {
  it('shows the visits to each replica from any replica, with the total', async () => {
    await visit(replicas[0]!, 3);
    await visit(replicas[1]!, 5);
    await visit(replicas[2]!, 7);

    for (let i = 0; i < HOSTS.length; i += 1) {
      const answer = await view(i);
      expect(answer).toEqual({
        pod: `visits-${i}`,
        source: 'srv',
        total: 15,
        partial: false,
        pods: [
          { pod: 'visits-0', visits: 3, address: address(0), self: i === 0 },
          { pod: 'visits-1', visits: 5, address: address(1), self: i === 1 },
          { pod: 'visits-2', visits: 7, address: address(2), self: i === 2 },
        ],
        unreachable: [],
        discoveryError: null,
      });
    }
  });

  it('records the peer requests in the peer latency histogram and the route template in the HTTP histogram', async () => {
    const metrics = await (await fetch(`${replicas[0]!.monitorUrl}/metrics`)).text();
    const ok = sampleValue(metrics, 'visits_peer_request_duration_seconds_count{outcome="ok"}');
    // Two peers asked by the view of the first test.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/visits\/cluster",status_code="200"\} [1-9]/);
  });

  it('marks a frozen replica unreachable within the timeout and answers with the others (partial)', async () => {
    const frozen = replicas[2]!;
    // SIGSTOP: the kernel still accepts the connection, the process never answers.
    frozen.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      const answer = await view(0);
      const elapsed = Date.now() - started;
      expect(answer.partial).toBe(true);
      expect(answer.total).toBe(8);
      expect(answer.pods.map((p) => p.pod)).toEqual(['visits-0', 'visits-1']);
      expect(answer.unreachable).toEqual([{ pod: 'visits-2', address: address(2), error: `no answer within ${PEER_TIMEOUT_MS} ms` }]);
      expect(elapsed).toBeGreaterThanOrEqual(PEER_TIMEOUT_MS - 50);
      // The view's own bound is DNS + one peer timeout; generous slack for a busy machine.
      expect(elapsed).toBeLessThan(PEER_TIMEOUT_MS * 2 + 2000);

      const metrics = await (await fetch(`${replicas[0]!.monitorUrl}/metrics`)).text();
      expect(metrics).toMatch(/visits_peer_request_failures_total\{reason="timeout"\} [1-9]/);
    } finally {
      frozen.child.kill('SIGCONT');
    }
  });

  it('marks a stopped replica unreachable, and a restart on the same data directory brings its count back unchanged', async () => {
    const stopping = Date.now();
    expect(await replicas[2]!.stop('SIGTERM')).toBe(0);
    // The frozen episode of the previous test must not leave a peer connection that holds the close.
    expect(Date.now() - stopping).toBeLessThan(3000);

    const down = await view(1);
    expect(down.partial).toBe(true);
    expect(down.total).toBe(8);
    expect(down.unreachable).toEqual([{ pod: 'visits-2', address: address(2), error: 'connection refused' }]);

    replicas[2] = await start(2);
    const back = await view(1);
    expect(back.partial).toBe(false);
    expect(back.unreachable).toEqual([]);
    expect(back.total).toBe(15);
    expect(back.pods.find((p) => p.pod === 'visits-2')).toEqual({ pod: 'visits-2', visits: 7, address: address(2), self: false });
  });

  it('sees a new visit to any replica at once from the others', async () => {
    await visit(replicas[1]!, 1);
    const answer = await view(2);
    expect(answer.total).toBe(16);
    expect(answer.pods.find((p) => p.pod === 'visits-1')?.visits).toBe(6);
  });
});
