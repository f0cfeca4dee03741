import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeAfterAnswer } from './close-after-answer';
import { refuse } from './error-answer';
import { isVisit, type Refusals } from './refusals';

/** Methods whose routes here never read a body. */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/**
 * Keeps request bodies to what the service reads. Fastify checks its body limit only on routes
 * that parse a body, and Node drains whatever body a handler leaves unread once it has answered:
 * a chunked `POST /nope` was answered 404 and then read (and discarded) 8 GB, a `PUT /visits`
 * without a token 401 and then 12 GB. So, before any handler runs:
 *
 * - a body on a method that takes none, or a `Content-Length` over `maxBytes`, gets 413 at once;
 * - any other body is counted as the parser delivers it, chunked or not: past `maxBytes` the
 *   socket is no longer read, and the request gets 413 unless its route answered first;
 * - an answer written while the body is still arriving (401, 404, 400, 413 from a route) carries
 *   `Connection: close`, and the socket is no longer read, instead of draining the rest
 *   (close-after-answer.ts).
 *
 * Returns true when it answered.
 */
export function refuseUnwantedBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, refusals: Refusals): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) return false;
  const bodiless = BODILESS.has(req.method ?? '');
  if (bodiless || length > maxBytes) {
    refuse(res, 413, bodiless ? `${req.method} takes no request body` : `the request body is larger than ${maxBytes} bytes`);
    refusals.refused({ cause: 'body', method: req.method, status: 413, visit: isVisit(req.method, req.url) });
    return true;
  }
  countBody(req, res, maxBytes, refusals);
  closeIfAnsweredEarly(req, res);
  return false;
}

/**
 * Node's parser hands each piece of a body to the request with push(), before anyone reads it:
 * counting there sees every byte, chunked or not, and a `false` return stops the parser reading
 * the socket (Node has no body limit of its own to set). Past `maxBytes` the rest is dropped and
 * the socket stays stopped. While nothing reads the body the route still decides (a token check
 * answers 401, an unknown route 404, and the connection closes after it); once something reads it,
 * it gets what was kept, and the request 413 unless the route answered from that.
 */
function countBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, refusals: Refusals): void {
  const push = req.push.bind(req);
  let received = 0;
  let over = false;
  const refuseIfUnanswered = (): void => {
    if (res.headersSent) return;
    refuse(res, 413, `the request body is larger than ${maxBytes} bytes`);
    refusals.refused({ cause: 'body', method: req.method, status: 413, visit: false });
  };
  // After the reader has had the kept bytes (the stream hands them over on a later tick).
  const onRead = (): void => void setImmediate(refuseIfUnanswered);
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (over) return false;
    if (chunk !== null && chunk !== undefined) received += (chunk as Buffer).length;
    if (received <= maxBytes) return push(chunk, encoding);
    over = true;
    if (req.readableFlowing === true) onRead();
    else req.once('resume', onRead);
    return false;
  };
}

/** An answer that goes out before the body has fully arrived closes the connection after it. */
function closeIfAnsweredEarly(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!req.complete && !res.headersSent) closeAfterAnswer(res);
    return writeHead(...args);
  }) as typeof res.writeHead;
}
