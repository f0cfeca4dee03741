import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody } from './error-answer';
import type { HttpLimits } from './http-limits';
import type { Refusals } from './refusals';
import { hold } from './socket-reading';

/**
 * Answers what Node's parser refuses (the server's 'clientError'), on every server createHttpServer
 * makes; Fastify's own handler is switched off (app.factory.ts), so this is the one place.
 *
 * Bytes after a request that said `Connection: close` (HPE_CLOSED_CONNECTION) are not an error
 * to answer: the requests before them are still being handled, and Fastify's 400, written straight
 * to the socket ahead of their answers, replaced them (a `GET /` was counted and its client got
 * 400), and the socket was destroyed. Those bytes are now left unread; Node closes the connection
 * after the last answer, as that request asked.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, limits: HttpLimits, refusals: Refusals): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (err.code === 'HPE_CLOSED_CONNECTION') {
    hold(socket as Socket);
    return;
  }
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, `the request head is over ${limits.headerBytes} bytes or ${limits.headerFields} header fields`]
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, `the request head did not arrive within ${limits.headersTimeoutMs / 1000} s`]
        : [400, 'the request is not well-formed HTTP/1.1'];
  if (socket.writable) {
    const body = JSON.stringify(errorBody(status, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    refusals.refused({ cause: 'parser', method: undefined, status, visit: false });
  }
  socket.destroy(err);
}
