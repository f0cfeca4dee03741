import { createSocket, type Socket } from 'node:dgram';
import { discoverPeers, DiscoveryError } from '../../src/cluster/peer-discovery';
import { startDnsmasq, type DnsServer } from './dnsmasq';

/**
 * Discovery against a real DNS server (dnsmasq on loopback) holding records shaped like the
 * ones Kubernetes publishes for a headless Service: one A record per ready pod under the
 * Service name, A records per pod host name, and SRV records for each named port.
 */
const NS = 'visits.svc.cluster.local';
const HEADLESS = `visits-headless.${NS}`;
const pod = (n: number, service = 'visits-headless') => `visits-${n}.${service}.${NS}`;

// Real DNS server and real sockets: explicit bounds for a busy 2-core machine.
jest.setTimeout(30_000);

let dns: DnsServer;

beforeAll(async () => {
  dns = await startDnsmasq({
    hosts: {
      [HEADLESS]: ['10.1.0.10', '10.1.0.11'],
      [pod(0)]: ['10.1.0.10'],
      [pod(1)]: ['10.1.0.11'],
      // A Service without the named port "http": A records only.
      [`plain.${NS}`]: ['10.2.0.1', '10.2.0.2', '10.2.0.3'],
      // IPv6-only pods: AAAA records only.
      [`six.${NS}`]: ['fd00::1', 'fd00::2'],
      // Dual stack: A and AAAA for the same pod; it must be counted once.
      [`dual.${NS}`]: ['10.3.0.1', 'fd00::31'],
    },
    srv: [
      { name: `_http._tcp.${HEADLESS}`, target: pod(0), port: 9090 },
      { name: `_http._tcp.${HEADLESS}`, target: pod(1), port: 9090 },
      // An SRV record whose target has no address (a pod record not published yet).
      { name: `_http._tcp.broken.${NS}`, target: pod(0), port: 8080 },
      { name: `_http._tcp.broken.${NS}`, target: pod(7, 'broken'), port: 8080 },
    ],
  });
}, 30_000);

afterAll(async () => {
  await dns?.stop();
});

const options = () => ({ server: dns.server, timeoutMs: 2000, defaultPort: 8080 });

describe('discoverPeers', () => {
  it('uses the SRV records of the named port: pod names from the targets and the port from the record', async () => {
    const found = await discoverPeers(HEADLESS, options());
    expect(found.source).toBe('srv');
    expect(found.peers.sort((a, b) => a.pod!.localeCompare(b.pod!))).toEqual([
      { pod: 'visits-0', ip: '10.1.0.10', port: 9090 },
      { pod: 'visits-1', ip: '10.1.0.11', port: 9090 },
    ]);
  });

  it('accepts a fully qualified name with a trailing dot', async () => {
    const found = await discoverPeers(`${HEADLESS}.`, options());
    expect(found.source).toBe('srv');
    expect(found.peers).toHaveLength(2);
  });

  it('falls back to A records when there is no SRV record, using this service port', async () => {
    const found = await discoverPeers(`plain.${NS}`, options());
    expect(found.source).toBe('a');
    expect(found.peers.map((p) => p.ip).sort()).toEqual(['10.2.0.1', '10.2.0.2', '10.2.0.3']);
    expect(found.peers.every((p) => p.port === 8080 && p.pod === undefined)).toBe(true);
  });

  it('uses AAAA records when a name has no A record', async () => {
    const found = await discoverPeers(`six.${NS}`, options());
    expect(found.source).toBe('a');
    expect(found.peers.map((p) => p.ip).sort()).toEqual(['fd00::1', 'fd00::2']);
  });

  it('counts a dual-stack pod once (A preferred over AAAA)', async () => {
    const found = await discoverPeers(`dual.${NS}`, options());
    expect(found.peers.map((p) => p.ip)).toEqual(['10.3.0.1']);
  });

  it('keeps an SRV target that does not resolve, with the reason, so it is reported unreachable', async () => {
    const found = await discoverPeers(`broken.${NS}`, options());
    expect(found.source).toBe('srv');
    const broken = found.peers.find((p) => p.pod === 'visits-7');
    expect(broken).toMatchObject({ ip: undefined, port: 8080 });
    expect(broken?.error).toMatch(/cannot resolve visits-7\.broken\..* \(ENOTFOUND\)/);
    expect(found.peers.find((p) => p.pod === 'visits-0')?.ip).toBe('10.1.0.10');
  });

  it('throws DiscoveryError naming the Service when it has no record at all', async () => {
    await expect(discoverPeers(`missing.${NS}`, options())).rejects.toThrow(
      new DiscoveryError(`no DNS records for missing.${NS} (ENOTFOUND)`),
    );
  });

  describe('a DNS server that never answers', () => {
    let silent: Socket;
    let address: string;

    beforeAll(async () => {
      // Receives queries and drops them: the stuck resolver the deadline exists for.
      silent = createSocket('udp4');
      await new Promise<void>((done) => silent.bind(0, '127.0.0.1', done));
      address = `127.0.0.1:${silent.address().port}`;
    });

    afterAll(async () => {
      await new Promise<void>((done) => silent.close(() => done()));
    });

    it('gives up within the deadline with a DiscoveryError', async () => {
      const started = Date.now();
      const error = await discoverPeers(HEADLESS, { server: address, timeoutMs: 300, defaultPort: 8080 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(DiscoveryError);
      expect((error as Error).message).toMatch(/took longer than 300 ms|failed \(ETIMEOUT\)/);
      // 300 ms deadline; generous slack for a busy 2-core machine.
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(2000);
    });
  });
});
