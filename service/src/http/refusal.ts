import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';

/**
 * Answers before the framework sees the request, in the shape of Fastify's own errors, and closes
 * the connection after the answer: whatever else the client sent on it is not read.
 */
export function refuse(res: ServerResponse, statusCode: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ statusCode, error: STATUS_CODES[statusCode], message });
  res.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}
