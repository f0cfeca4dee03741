import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { MONITOR_HTTP_LIMITS } from '../http/http-limits';
import { createHttpServer } from '../http/http-server';

/** Served on the monitoring port only (docs/architecture.md#routes); the public port answers them 404. */
export const MONITOR_ROUTES: ReadonlySet<string> = new Set(['/health/live', '/health/ready', '/health/startup', '/metrics']);

/**
 * The second listener, for the kubelet's probes and Prometheus: its own port (MONITOR_PORT) and
 * its own connection limit, so that no client load on the public port (1,024 idle keep-alive
 * connections, pipelined floods) can keep a probe from being answered and get a healthy pod
 * restarted. The same Fastify instance serves both ports; a hook sends each route to its port.
 */
export class MonitorListener {
  private readonly server: Server;
  private readonly sockets = new WeakSet<Socket>();

  /** Call before the app is initialised: it adds Fastify hooks. */
  constructor(fastify: FastifyInstance) {
    this.server = createHttpServer((req, res) => fastify.routing(req, res), MONITOR_HTTP_LIMITS);
    this.server.on('connection', (socket: Socket) => this.sockets.add(socket));
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions.url;
      // Unmatched URLs are 404 on either port anyway.
      if (route === undefined || MONITOR_ROUTES.has(route) === this.sockets.has(request.raw.socket)) {
        done();
        return;
      }
      reply.callNotFound();
    });
    // Runs when the app closes (after the public server): probes still answer while it drains.
    fastify.addHook('onClose', (_instance, done) => {
      if (!this.server.listening) return done();
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }

  /** Starts listening; resolves with the port (useful when `port` is 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }
}
