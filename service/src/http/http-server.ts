import { createServer, type RequestListener, type Server } from 'node:http';
import { HTTP_LIMITS, type HttpLimits } from './http-limits';
import { IdleConnections } from './idle-connections';
import { PendingRequestLimit } from './pending-requests';
import { guardProtocol, refuseOtherVersions } from './protocol-guards';
import { Refusals, registerRefusals } from './refusals';
import { refuseUnwantedBody } from './request-bodies';

/**
 * A Node server under Fastify with every limit of `limits` (the public port's, or the monitoring
 * port's), and the guards that must run before the framework spends anything on a request.
 */
export function createHttpServer(handler: RequestListener, limits: HttpLimits = HTTP_LIMITS): Server {
  // What the guards refuse never reaches Fastify's hooks: metrics/ listens here (refusalsOf).
  const refusals = new Refusals();
  const pending = new PendingRequestLimit(limits.pendingPerConnection, refusals);
  const connections = new IdleConnections(limits.connections);
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node checks the two timeouts every 30 s by default: a slow request would live up to 40 s.
      connectionsCheckingInterval: limits.timeoutCheckMs,
      keepAliveTimeout: limits.keepAliveIdleMs,
      maxHeaderSize: limits.headerBytes,
    },
    (req, res) => {
      connections.started(req, res);
      if (refuseOtherVersions(req, res, refusals) || refuseUnwantedBody(req, res, limits.bodyBytes, refusals) || pending.refuse(req, res))
        return;
      handler(req, res);
    },
  );
  registerRefusals(server, refusals);
  guardProtocol(server, limits, refusals);
  server.setTimeout(limits.socketIdleMs);
  // Not server.maxConnections: at the limit it refuses the newcomer, where this closes an idle one.
  connections.watch(server);
  return server;
}
