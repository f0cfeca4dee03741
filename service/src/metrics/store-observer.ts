import type { Logger } from '../logging/logger';
import type { StoreObserver } from '../counter/counter-store';
import type { AppMetrics } from './app-metrics';

/** Turns the store's events into metrics and, for failures, one log line each (refusals: metric only, a flood must not flood the log). */
export function observeStore(metrics: AppMetrics, logger: Logger): StoreObserver {
  return {
    persisted(count, visits, seconds) {
      metrics.visitsPersisted.set(count);
      metrics.visitsRecorded.inc(visits);
      metrics.persistDuration.observe(seconds);
    },
    persistFailed(reason, error, lostVisits) {
      metrics.persistFailures.inc({ reason });
      logger.error({ reason, err: error, visitsRefused: lostVisits }, 'persist failed: visits answered 503, count unchanged');
    },
    refused(reason) {
      metrics.visitsRefused.inc({ reason });
    },
  };
}
