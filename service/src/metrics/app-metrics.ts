import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PEER_FAILURE_REASONS } from '../cluster/peer-client';
import { REFUSAL_REASONS } from '../counter/counter-store';

/** Route label for requests that matched no route: one value, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';
/** Route label for requests refused before routing (http/refusals.ts): pipelining, bodies, versions, CONNECT, parser errors. */
export const REFUSED_ROUTE = 'refused';
/** Method label for requests whose request line never parsed (the parser's 400, 408 and 431). */
export const UNPARSED_METHOD = 'unparsed';
/**
 * visits_refused_total's reasons: the store's, and `pipelining` for the `GET /` requests of a
 * connection past its pending-request limit (answered 503 or dropped with the rest of the burst).
 */
const VISIT_REFUSAL_REASONS = [...REFUSAL_REASONS, 'pipelining'] as const;

/** Write errors the data-file contract names (docs/architecture.md); any other errno gets its own series when it first happens. */
const EXPECTED_FAILURES = ['ENOSPC', 'EROFS', 'EACCES', 'EIO'];

/**
 * The service's metrics (names fixed in docs/architecture.md#metrics), on a registry of its own per app
 * instance: nothing is registered globally, so test cases never see each other's series.
 */
export class AppMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    // 25 ms and 100 ms are SLO thresholds (docs/slos.md): they must stay bucket bounds.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly visitsRecorded = new Counter({
    name: 'visits_recorded_total',
    help: 'Visits acknowledged after they were persisted',
    registers: [this.registry],
  });

  readonly visitsPersisted = new Gauge({
    name: 'visits_persisted',
    help: 'The durable count on disk',
    registers: [this.registry],
  });

  readonly persistDuration = new Histogram({
    name: 'visits_persist_duration_seconds',
    help: 'Duration of one durable write (temp file, fdatasync, rename, directory fsync)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly persistFailures = new Counter({
    name: 'visits_persist_failures_total',
    help: 'Durable writes that failed, by errno code',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly visitsRefused = new Counter({
    name: 'visits_refused_total',
    help: 'Visits and restores refused before any write, by reason (count_limit, queue_full, pipelining)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly buildInfo = new Gauge({
    name: 'visits_build_info',
    help: 'Always 1; labels carry the version and commit',
    labelNames: ['version', 'commit'] as const,
    registers: [this.registry],
  });

  // Cluster view (GET /visits/cluster): documented in docs/operations.md#metrics.
  readonly peerDuration = new Histogram({
    name: 'visits_peer_request_duration_seconds',
    help: "Duration of one peer's GET /visits asked by the cluster view, by outcome (ok or error)",
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly peerFailures = new Counter({
    name: 'visits_peer_request_failures_total',
    help: 'Peer requests of the cluster view that failed, by reason (timeout, refused, connection, status, invalid)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly peerDiscoveryFailures = new Counter({
    name: 'visits_peer_discovery_failures_total',
    help: 'Cluster views whose DNS discovery of the headless Service failed',
    registers: [this.registry],
  });

  constructor(build: { version: string; commit: string }) {
    collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: build.version, commit: build.commit }, 1);
    // Zero series for the expected reasons, so increase() sees the very first failure.
    for (const reason of EXPECTED_FAILURES) this.persistFailures.inc({ reason }, 0);
    for (const reason of PEER_FAILURE_REASONS) this.peerFailures.inc({ reason }, 0);
    for (const reason of VISIT_REFUSAL_REASONS) this.visitsRefused.inc({ reason }, 0);
  }
}
