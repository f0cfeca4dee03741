import type { FastifyInstance } from 'fastify';
import { refusalsOf, type Refusal } from '../http/refusals';
import { REFUSED_ROUTE, UNMATCHED_ROUTE, UNPARSED_METHOD, type AppMetrics } from './app-metrics';

/** Probes and scrapes would drown the signal and are not what users see. */
const NOT_RECORDED = new Set(['/metrics', '/health/live', '/health/ready', '/health/startup']);

/**
 * Times every request in Fastify's onResponse hook: it sees 404s and errors that never reach
 * a Nest handler, and `routeOptions.url` is the route template, never the raw URL. Requests the
 * guards under Fastify refuse (http/refusals.ts) never reach that hook: they are recorded here too,
 * under the route `refused`, with no time (they cost no handler).
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: AppMetrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    if (!NOT_RECORDED.has(route)) {
      metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    }
    done();
  });
  refusalsOf(fastify.server)?.listen((refusal) => recordRefusal(metrics, refusal));
}

function recordRefusal(metrics: AppMetrics, refusal: Refusal): void {
  // A dropped request (the rest of a pipelined burst) got no answer to record.
  if (refusal.status !== undefined) {
    metrics.httpDuration.observe(
      { method: refusal.method ?? UNPARSED_METHOD, route: REFUSED_ROUTE, status_code: String(refusal.status) },
      0,
    );
  }
  if (refusal.cause === 'pipelining' && refusal.visit) metrics.visitsRefused.inc({ reason: 'pipelining' });
}
