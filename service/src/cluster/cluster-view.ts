import { Inject, Injectable } from '@nestjs/common';
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/config';
import { CounterStore } from '../counter/counter-store';
import { CLUSTER_OBSERVER, CONFIG } from '../tokens';
import type { ClusterObserver } from './cluster-observer';
import { fetchPeerCount, peerAddress, PeerRequestError } from './peer-client';
import { discoverPeers, type Peer } from './peer-discovery';

export interface PodCount {
  pod: string;
  visits: number;
  /** "ip:port" asked, or null for this pod when DNS did not list it (for example while it is not ready). */
  address: string | null;
  /** True for the replica that built this answer (its count is read locally, not over the network). */
  self: boolean;
}

export interface UnreachablePod {
  /** The pod name when DNS tells it (SRV records), otherwise null. */
  pod: string | null;
  address: string | null;
  error: string;
}

/** The answer of GET /visits/cluster (documented in docs/operations.md). */
export interface ClusterAnswer {
  /** The replica that answered. */
  pod: string;
  /** How the replicas were found: SRV or A records, or "none" when PEER_SERVICE is unset. */
  source: 'srv' | 'a' | 'none';
  /** Sum over `pods`: a lower bound of the real total when `partial` is true. */
  total: number;
  /** True when a replica did not answer or DNS could not be used. */
  partial: boolean;
  pods: PodCount[];
  unreachable: UnreachablePod[];
  /** Why DNS could not list the replicas, or null. */
  discoveryError: string | null;
}

const byPod = new Intl.Collator('en', { numeric: true });

/**
 * Builds the cluster view: finds the replicas in DNS, asks each one's GET /visits in parallel,
 * and answers within about two PEER_TIMEOUT_MS at worst (one for DNS, one for the requests).
 */
@Injectable()
export class ClusterView {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly store: CounterStore,
    @Inject(CLUSTER_OBSERVER) private readonly observer: ClusterObserver,
  ) {}

  async build(): Promise<ClusterAnswer> {
    const self: PodCount = { pod: this.config.podName, visits: this.store.count, address: null, self: true };
    const answer: ClusterAnswer = {
      pod: this.config.podName,
      source: 'none',
      total: 0,
      partial: false,
      pods: [self],
      unreachable: [],
      discoveryError: null,
    };
    const service = this.config.peerService;
    if (service === undefined) return finish(answer);

    let peers: Peer[];
    try {
      const discovery = await discoverPeers(service, {
        server: this.config.peerDnsServer,
        timeoutMs: this.config.peerTimeoutMs,
        defaultPort: this.config.port,
      });
      answer.source = discovery.source;
      peers = discovery.peers;
    } catch (err) {
      this.observer.discoveryFailed(err as Error);
      answer.discoveryError = (err as Error).message;
      answer.partial = true;
      return finish(answer);
    }

    const remote: Peer[] = [];
    for (const peer of peers) {
      if (this.isSelf(peer)) self.address = peerAddress(peer.ip!, peer.port);
      else remote.push(peer);
    }
    const results = await Promise.all(remote.map((peer) => this.ask(peer)));
    for (const result of results) {
      // A peer that turns out to be this pod (reached through another address) is not counted twice.
      if ('visits' in result) {
        if (result.pod !== self.pod) answer.pods.push(result);
      } else answer.unreachable.push(result);
    }
    answer.partial = answer.unreachable.length > 0;
    return finish(answer);
  }

  private async ask(peer: Peer): Promise<PodCount | UnreachablePod> {
    if (peer.ip === undefined) return { pod: peer.pod ?? null, address: null, error: peer.error ?? 'no address' };
    const address = peerAddress(peer.ip, peer.port);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const { pod, visits } = await fetchPeerCount(address, this.config.peerTimeoutMs);
      this.observer.peerAnswered(seconds());
      return { pod, visits, address, self: false };
    } catch (err) {
      this.observer.peerFailed(err instanceof PeerRequestError ? err.reason : 'connection', seconds());
      return { pod: peer.pod ?? null, address, error: (err as Error).message };
    }
  }

  /** This pod as DNS lists it: same port and one of the addresses it listens on, or its own SRV host name. */
  private isSelf(peer: Peer): boolean {
    if (peer.ip === undefined) return peer.pod === this.config.podName;
    if (peer.port !== this.config.port) return false;
    return listeningAddresses(this.config.host).has(peer.ip) || peer.pod === this.config.podName;
  }
}

function finish(answer: ClusterAnswer): ClusterAnswer {
  answer.pods.sort((a, b) => byPod.compare(a.pod, b.pod));
  answer.unreachable.sort((a, b) => byPod.compare(a.pod ?? a.address ?? '', b.pod ?? b.address ?? ''));
  answer.total = answer.pods.reduce((sum, pod) => sum + pod.visits, 0);
  return answer;
}

/** A wildcard HOST listens on every interface address; a specific HOST on that one alone. */
function listeningAddresses(host: string): Set<string> {
  if (host !== '0.0.0.0' && host !== '::') return new Set([host]);
  const all = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) all.add(entry.address);
  return all;
}
