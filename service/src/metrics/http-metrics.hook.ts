import type { FastifyInstance } from 'fastify';
import { UNMATCHED_ROUTE, type AppMetrics } from './app-metrics';

/** Probes and scrapes would drown the signal and are not what users see. */
const NOT_RECORDED = new Set(['/metrics', '/health/live', '/health/ready', '/health/startup']);

/**
 * Times every request in Fastify's onResponse hook: it sees 404s and errors that never reach
 * a Nest handler, and `routeOptions.url` is the route template, never the raw URL.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: AppMetrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    if (!NOT_RECORDED.has(route)) {
      metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    }
    done();
  });
}
