import { STATUS_CODES } from 'node:http';
import type { FastifyReply } from 'fastify';

/** An error answer in the shape of Nest's HTTP errors, so every error of the service reads alike; never cached. */
export function sendError(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply.code(statusCode).header('cache-control', 'no-store').send({ statusCode, error: STATUS_CODES[statusCode], message });
}
