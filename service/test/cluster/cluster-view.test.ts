import { createSocket, type Socket } from 'node:dgram';
import type { ClusterAnswer } from '../../src/cluster/cluster-view';
import { freePort, startService, type ServiceProcess } from '@visits/test-support/service-process';
import { createTestApp, type TestApp } from '../support/test-app';
import { startDnsmasq, type DnsServer } from './dnsmasq';

/**
 * The view's edges, with the service in-process (its logs and metrics at hand), a real DNS
 * server and real peer processes: no PEER_SERVICE, a Service DNS does not know, A records only
 * (no SRV: pod names then come from the peers' answers, this pod is found by its address), and a
 * peer that turns out to be this very pod.
 */
jest.setTimeout(30_000);

const NS = 'visits.svc.cluster.local';
let dns: DnsServer;
let port: number;
const peers: ServiceProcess[] = [];
const apps: TestApp[] = [];

async function app(env: NodeJS.ProcessEnv): Promise<TestApp> {
  // config.port is what DNS A records are combined with and how this pod recognises itself.
  const created = await createTestApp({ port, host: '127.0.0.1' }, { POD_NAME: 'visits-0', PEER_TIMEOUT_MS: '1000', ...env });
  apps.push(created);
  return created;
}

beforeAll(async () => {
  port = await freePort('127.0.0.1');
  dns = await startDnsmasq({
    hosts: {
      // This pod (127.0.0.1), a peer that answers (.22) and an address nobody listens on (.21).
      [`plain.${NS}`]: ['127.0.0.1', '127.0.0.21', '127.0.0.22'],
      // A second process that claims to be visits-0: it must not be counted twice.
      [`dup.${NS}`]: ['127.0.0.23'],
    },
  });
  peers.push(await startService({ host: '127.0.0.22', port, env: { POD_NAME: 'visits-1' } }));
  peers.push(await startService({ host: '127.0.0.23', port, env: { POD_NAME: 'visits-0' } }));
  // Give the answering peer a count of its own.
  for (let i = 0; i < 4; i += 1) await fetch(`${peers[0]!.url}/`);
}, 60_000);

afterAll(async () => {
  for (const created of apps) await created.close();
  for (const peer of peers) await peer.cleanup();
  await dns?.stop();
}, 30_000);

describe('GET /visits/cluster edges', () => {
  it('shows this pod alone, without any DNS query, when PEER_SERVICE is unset', async () => {
    // A DNS server that counts queries: none may arrive.
    const silent: Socket = createSocket('udp4');
    let queries = 0;
    silent.on('message', () => (queries += 1));
    await new Promise<void>((done) => silent.bind(0, '127.0.0.1', done));
    try {
      const alone = await app({ PEER_DNS_SERVER: `127.0.0.1:${silent.address().port}` });
      await alone.get('/');
      await alone.get('/');
      const { status, body } = await alone.get('/visits/cluster');
      expect(status).toBe(200);
      expect(body).toEqual({
        pod: 'visits-0',
        source: 'none',
        total: 2,
        partial: false,
        pods: [{ pod: 'visits-0', visits: 2, address: null, self: true }],
        unreachable: [],
        discoveryError: null,
      });
      expect(queries).toBe(0);
    } finally {
      silent.close();
    }
  });

  it('answers with this pod alone, partial, and the reason when DNS does not know the Service', async () => {
    const lost = await app({ PEER_SERVICE: `nowhere.${NS}`, PEER_DNS_SERVER: dns.server });
    const { status, body } = await lost.get('/visits/cluster');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      source: 'none',
      partial: true,
      total: 0,
      pods: [{ pod: 'visits-0', visits: 0, address: null, self: true }],
      unreachable: [],
      discoveryError: `no DNS records for nowhere.${NS} (ENOTFOUND)`,
    });
    const metrics = (await lost.get('/metrics')).text;
    expect(metrics).toMatch(/^visits_peer_discovery_failures_total 1$/m);
  });

  it('falls back to A records: finds itself by address, names peers from their answers, lists the silent one', async () => {
    const view = await app({ PEER_SERVICE: `plain.${NS}`, PEER_DNS_SERVER: dns.server });
    await view.get('/');
    const { body } = await view.get('/visits/cluster');
    expect(body).toEqual({
      pod: 'visits-0',
      source: 'a',
      total: 5,
      partial: true,
      pods: [
        { pod: 'visits-0', visits: 1, address: `127.0.0.1:${port}`, self: true },
        { pod: 'visits-1', visits: 4, address: `127.0.0.22:${port}`, self: false },
      ],
      unreachable: [{ pod: null, address: `127.0.0.21:${port}`, error: 'connection refused' }],
      discoveryError: null,
    } satisfies ClusterAnswer);
    const metrics = (await view.get('/metrics')).text;
    expect(metrics).toMatch(/^visits_peer_request_failures_total\{reason="refused"\} 1$/m);
    expect(metrics).toMatch(/^visits_peer_request_duration_seconds_count\{outcome="ok"\} 1$/m);
    expect(metrics).toMatch(/^visits_peer_request_duration_seconds_count\{outcome="error"\} 1$/m);
  });

  it('does not count this pod twice when another address answers with its name', async () => {
    const view = await app({ PEER_SERVICE: `dup.${NS}`, PEER_DNS_SERVER: dns.server });
    const { body } = await view.get('/visits/cluster');
    expect((body as ClusterAnswer).pods).toEqual([{ pod: 'visits-0', visits: 0, address: null, self: true }]);
    expect((body as ClusterAnswer).partial).toBe(false);
  });
});
