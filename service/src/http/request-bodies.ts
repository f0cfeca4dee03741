import type { IncomingMessage, ServerResponse } from 'node:http';
import { refuse } from './error-answer';

/** Methods whose routes here never read a body. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Refuses with 413, before any handler runs, a request that announces a body larger than
 * `maxBytes`, or any body at all on a method that takes none. Fastify checks its body limit only on
 * routes that parse a body: on GET / a 100 MB body was ignored, the visit counted, and the socket
 * kept reading (and discarding) the body, a byte a second for as long as a client cared to send it.
 * Returns true when it answered.
 */
export function refuseUnwantedBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return false;
  const limit = BODILESS.has(req.method ?? '') ? 0 : maxBytes;
  if (limit > 0 && length <= limit) return false;
  refuse(res, 413, limit === 0 ? `${req.method} takes no request body` : `the request body is larger than ${limit} bytes`);
  return true;
}
