import { createServer, type RequestListener, type Server } from 'node:http';
import { HTTP_LIMITS } from './http-limits';
import { PendingRequestLimit } from './pending-requests';
import { refuseUnwantedBody } from './request-bodies';

/**
 * The Node server under Fastify (its serverFactory), with every limit of http-limits.ts, and the
 * guards that must run before the framework spends anything on a request.
 */
export function createHttpServer(handler: RequestListener): Server {
  const pending = new PendingRequestLimit(HTTP_LIMITS.pendingPerConnection);
  const server = createServer(
    {
      headersTimeout: HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: HTTP_LIMITS.requestTimeoutMs,
      // Node checks the two timeouts every 30 s by default: a slow request would live up to 40 s.
      connectionsCheckingInterval: HTTP_LIMITS.timeoutCheckMs,
      keepAliveTimeout: HTTP_LIMITS.keepAliveIdleMs,
      maxHeaderSize: HTTP_LIMITS.headerBytes,
    },
    (req, res) => {
      if (refuseUnwantedBody(req, res, HTTP_LIMITS.bodyBytes) || pending.refuse(req, res)) return;
      handler(req, res);
    },
  );
  server.setTimeout(HTTP_LIMITS.socketIdleMs);
  server.maxConnections = HTTP_LIMITS.connections;
  return server;
}
