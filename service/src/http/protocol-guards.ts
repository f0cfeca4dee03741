import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerClientError } from './client-errors';
import { errorBody, refuse } from './error-answer';
import type { HttpLimits } from './http-limits';
import { continueOnFirstRead } from './expect-continue';
import { isVisit, type Refusals } from './refusals';

/**
 * What Node's server does on its own with requests that are not plain HTTP/1.x, decided here:
 *
 * - `Expect: 100-continue` gets its 100 only once the route reads the body (expect-continue.ts);
 *   any other expectation gets 417 (Node's own answer, with the service's error body) and is counted;
 * - `CONNECT` (Node closes it without a word when nobody listens) gets 405 with an empty `Allow`:
 *   the service is no proxy, no method applies to an authority target;
 * - the parser's own refusals (400, 408, 431) are answered by client-errors.ts and counted;
 * - `Upgrade` (`h2c`, `websocket`) is ignored, as RFC 9110 §7.8 allows: the request is served over
 *   HTTP/1.1 like any other, so a `GET /` with `Upgrade: h2c` is a real visit and counts.
 *
 * `maxHeadersCount` is set to `limits.headerFields`: Node's default is the same 1,000 fields (its parser
 * keeps 2,000 names and values), and beyond it answers 431 however few bytes they take.
 */
export function guardProtocol(server: Server, limits: HttpLimits, refusals: Refusals): void {
  server.maxHeadersCount = limits.headerFields;
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnFirstRead(req, res);
    server.emit('request', req, res);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    refuse(res, 417, 'the only expectation supported is 100-continue');
    refusals.refused({ cause: 'expectation', method: req.method, status: 417, visit: false });
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const body = JSON.stringify(errorBody(405, 'CONNECT is not supported: this is not a proxy'));
    socket.on('error', () => undefined);
    socket.end(
      `HTTP/1.1 405 ${STATUS_CODES[405]}\r\nAllow: \r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.once('finish', () => socket.destroy());
    refusals.refused({ cause: 'method', method: 'CONNECT', status: 405, visit: false });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, limits, refusals));
}

/**
 * Only HTTP/1.0 and 1.1 are served. Node's parser also hands over `GET / HTTP/0.9` and
 * `GET / HTTP/2.0` request lines, which were answered (and counted) as HTTP/1.1: they get 505,
 * well-formed HTTP/1.1 that such a client may not read, and nothing is counted.
 * Returns true when it answered.
 */
export function refuseOtherVersions(req: IncomingMessage, res: ServerResponse, refusals: Refusals): boolean {
  if (req.httpVersionMajor === 1) return false;
  refuse(res, 505, `HTTP/${req.httpVersion} is not supported: send HTTP/1.1`);
  refusals.refused({ cause: 'version', method: req.method, status: 505, visit: isVisit(req.method, req.url) });
  return true;
}
