import type { ClusterObserver } from '../cluster/cluster-observer';
import type { AppMetrics } from './app-metrics';

/** Turns the cluster view's events into metrics. */
export function observeCluster(metrics: AppMetrics): ClusterObserver {
  return {
    discoveryFailed() {
      metrics.peerDiscoveryFailures.inc();
    },
    peerAnswered(seconds) {
      metrics.peerDuration.observe({ outcome: 'ok' }, seconds);
    },
    peerFailed(reason, seconds) {
      metrics.peerDuration.observe({ outcome: 'error' }, seconds);
      metrics.peerFailures.inc({ reason });
    },
  };
}
