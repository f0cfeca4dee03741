import type { PeerFailureReason } from './peer-client';

/**
 * What the cluster view reports as it works, for whoever watches it (metrics/cluster-observer.ts
 * turns it into metrics): the view itself knows nothing of metrics, as the counter store does not.
 */
export interface ClusterObserver {
  /** DNS could not list the replicas; the view answers with this pod alone. */
  discoveryFailed(error: Error): void;
  /** A peer answered its count after `seconds`. */
  peerAnswered(seconds: number): void;
  /** A peer did not answer, for `reason`, after `seconds`. */
  peerFailed(reason: PeerFailureReason, seconds: number): void;
}
