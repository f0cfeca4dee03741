import { Resolver } from 'node:dns/promises';

/** Kubernetes publishes `_<port-name>._tcp.<service>` SRV records for a headless Service's named ports. */
export const PEER_PORT_NAME = 'http';

/** One replica found in DNS. */
export interface Peer {
  /** The pod name when DNS tells it (the first label of an SRV target), otherwise undefined. */
  pod: string | undefined;
  /** IP address to ask; undefined when an SRV target did not resolve. */
  ip: string | undefined;
  port: number;
  /** Why `ip` is missing. */
  error?: string;
}

export interface Discovery {
  /** Which records named the peers. */
  source: 'srv' | 'a';
  peers: Peer[];
}

/** DNS could not name any replica: the view then shows this pod alone and says why. */
export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

export interface DiscoveryOptions {
  /** `PEER_DNS_SERVER` ("ip" or "ip:port"); undefined: the system resolver (/etc/resolv.conf). */
  server: string | undefined;
  /** Deadline for the whole lookup, SRV, targets and fallback together. */
  timeoutMs: number;
  /** Port to use with A records, which carry none: this service's own port. */
  defaultPort: number;
}

/** "name does not exist" and "name has no record of this type": answers, not failures. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN';
}

/**
 * Finds the replicas behind a headless Service: SRV records of the named port first (they
 * carry pod host names and the port), A records of the Service name otherwise (AAAA only when
 * there is no A, so a dual-stack pod is not counted twice). `service` must be fully qualified:
 * Node's resolve* functions do not apply the search domains of /etc/resolv.conf.
 */
export async function discoverPeers(service: string, options: DiscoveryOptions): Promise<Discovery> {
  // One resolver per lookup: cancel() at the deadline then stops this lookup and no other.
  const resolver = new Resolver({ timeout: Math.max(50, Math.floor(options.timeoutMs / 2)), tries: 2 });
  if (options.server) resolver.setServers([options.server]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      resolver.cancel();
      reject(new DiscoveryError(`DNS lookup of ${service} took longer than ${options.timeoutMs} ms`));
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([lookup(resolver, service, options.defaultPort), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function lookup(resolver: Resolver, service: string, defaultPort: number): Promise<Discovery> {
  const name = service.replace(/\.$/, '');
  let srv: Awaited<ReturnType<Resolver['resolveSrv']>> = [];
  try {
    srv = await resolver.resolveSrv(`_${PEER_PORT_NAME}._tcp.${name}`);
  } catch (err) {
    if (!NO_RECORDS.has(codeOf(err))) throw new DiscoveryError(`SRV lookup for ${name} failed (${codeOf(err)})`);
  }
  if (srv.length > 0) {
    const peers = await Promise.all(srv.map((record) => fromSrv(resolver, record.name, record.port)));
    return { source: 'srv', peers: peers.flat() };
  }
  let ips: string[];
  try {
    ips = await addresses(resolver, name);
  } catch (err) {
    const code = codeOf(err);
    throw new DiscoveryError(NO_RECORDS.has(code) ? `no DNS records for ${name} (${code})` : `DNS lookup of ${name} failed (${code})`);
  }
  return { source: 'a', peers: ips.map((ip) => ({ pod: undefined, ip, port: defaultPort })) };
}

/** An SRV target such as visits-0.visits-headless.visits.svc.cluster.local names the pod in its first label. */
async function fromSrv(resolver: Resolver, target: string, port: number): Promise<Peer[]> {
  const pod = target.split('.')[0] || undefined;
  try {
    return (await addresses(resolver, target)).map((ip) => ({ pod, ip, port }));
  } catch (err) {
    return [{ pod, ip: undefined, port, error: `cannot resolve ${target} (${codeOf(err)})` }];
  }
}

async function addresses(resolver: Resolver, name: string): Promise<string[]> {
  try {
    const v4 = await resolver.resolve4(name);
    if (v4.length > 0) return v4;
  } catch (err) {
    if (!NO_RECORDS.has(codeOf(err))) throw err;
  }
  return resolver.resolve6(name);
}
