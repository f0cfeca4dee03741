import type { FastifyInstance } from 'fastify';
import type { LifecycleState } from './lifecycle-state';

/**
 * Once shutdown has begun, every answer carries `Connection: close`. Behind a ClusterIP Service,
 * kube-proxy steers only new connections away from a pod that left the endpoints: a client's
 * keep-alive connections still lead here. Closing each one after its next answer moves the client
 * to the ready replicas during the shutdown delay, instead of leaving it to race the server's
 * close (ECONNRESET on a request sent as the socket closes: tests/cluster/12-zero-downtime-rollout).
 */
export function closeConnectionsWhileDraining(fastify: FastifyInstance, lifecycle: LifecycleState): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (lifecycle.shuttingDown) void reply.header('connection', 'close');
    done();
  });
}
