import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { closeAfterAnswer } from './close-after-answer';

/** The one shape of every error answer of the service (Nest's and Fastify's shape): statusCode, error, message. */
export function errorBody(statusCode: number, message: string): { statusCode: number; error: string | undefined; message: string } {
  return { statusCode, error: STATUS_CODES[statusCode], message };
}

/** An error answer from a route; never cached. */
export function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).header('cache-control', 'no-store').send(errorBody(statusCode, message));
}

/**
 * An error answer before the framework sees the request, and the connection closes after it:
 * whatever else the client sent on it is not read.
 */
export function refuse(res: ServerResponse, statusCode: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(errorBody(statusCode, message));
  closeAfterAnswer(res);
  res.writeHead(statusCode, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
