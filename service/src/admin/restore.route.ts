import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config';
import { CounterStore, PersistError, type Reservation } from '../counter/counter-store';
import type { Logger } from '../logging/logger';
import { ThrottledLog } from '../logging/throttled-log';
import { sendError } from '../http/error-answer';
import { CONFIG, LOGGER } from '../tokens';
import { AdminToken, TokenUnavailableError } from './admin-token';
import { isJsonContentType, parseRestoreBody, RESTORE_BODY_LIMIT } from './restore-body';

/** Fastify's own body errors, each given a 400 with a message an operator can act on. */
const BODY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the Content-Type must be application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: `the body must be at most ${RESTORE_BODY_LIMIT} bytes`,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length does not match the body',
};

/** Refusals are logged at most once a minute each, with how many were left out. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

const UNAUTHORIZED: Record<'missing' | 'malformed' | 'wrong', string> = {
  missing: 'a bearer token is required',
  malformed: 'the Authorization header must be "Bearer <token>", the token one word',
  wrong: 'the bearer token is not valid',
};

/**
 * PUT /visits {"visits": n}: sets this replica's count, to restore it after a volume was lost.
 *
 * A plain Fastify route rather than a Nest controller, for route-level options Nest does not
 * expose: the bearer token is checked in `onRequest`, before a single byte of the body is read;
 * the body limit is a few hundred bytes instead of the service's 16 KiB; the body reaches the
 * handler as the text sent (a scope of its own with a string parser), so that restore-body.ts
 * can refuse what JSON.parse would quietly accept; and the route's own error handler turns
 * Fastify's body errors (wrong type, too large) into 400s with clear messages. Without
 * ADMIN_TOKEN_FILE the route does not exist (404).
 *
 * As it is received, before anything is checked, a restore takes its place among its
 * connection's changes (CounterStore.reserve): visits pipelined behind it on that connection are
 * answered after it (HTTP/1.1 answers in order), so they are counted on top of it.
 */
@Injectable()
export class RestoreRoute implements OnModuleInit {
  private readonly refusalLog = new ThrottledLog(REFUSAL_LOG_INTERVAL_MS);
  private readonly reservations = new WeakMap<IncomingMessage, Reservation>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly store: CounterStore,
  ) {}

  onModuleInit(): void {
    const file = this.config.adminTokenFile;
    if (file === undefined) {
      this.logger.info('PUT /visits is disabled (404): ADMIN_TOKEN_FILE is not set');
      return;
    }
    this.logger.info({ tokenFile: file }, 'PUT /visits is enabled');
    const token = new AdminToken(file);
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // A scope of its own: the JSON parser below (the text as sent) serves this route alone.
    void fastify.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => done(null, text));
      scope.route({
        method: 'PUT',
        url: '/visits',
        bodyLimit: RESTORE_BODY_LIMIT,
        onRequest: [
          // Synchronous, and first: the connection's next requests are handed over right after this one.
          (request, _reply, done) => {
            this.reservations.set(request.raw, this.store.reserve(request.raw.socket));
            done();
          },
          (request, reply) => this.authorize(token, request, reply),
        ],
        // Whatever ends the request gives its place up, unless the restore was queued in it.
        onResponse: (request, _reply, done) => {
          this.giveUpPlace(request);
          done();
        },
        onRequestAbort: (request, done) => {
          this.giveUpPlace(request);
          done();
        },
        errorHandler: (error, request, reply) => this.bodyError(error, request, reply),
        handler: (request, reply) => this.restore(request, reply),
      });
    });
  }

  private giveUpPlace(request: FastifyRequest): void {
    this.reservations.get(request.raw)?.cancel();
  }

  private async authorize(token: AdminToken, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    let result;
    try {
      result = await token.check(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof TokenUnavailableError)) throw err;
      this.refusalLog.event(err.message, (leftOut) =>
        this.logger.error(
          { err: { message: err.message }, alsoRefusedSinceLastLine: leftOut },
          'PUT /visits refused: no usable admin token',
        ),
      );
      await sendError(reply, 503, 'the admin token is not available on this replica');
      return;
    }
    if (result === 'ok') return;
    if (result === 'wrong')
      this.refusalLog.event('wrong token', (leftOut) =>
        this.logger.warn({ remoteAddress: request.ip, alsoRefusedSinceLastLine: leftOut }, 'PUT /visits refused: wrong bearer token'),
      );
    reply.header('www-authenticate', 'Bearer realm="visits"');
    await sendError(reply, 401, UNAUTHORIZED[result]);
  }

  private bodyError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    this.giveUpPlace(request);
    const message = BODY_ERRORS[error.code] ?? (error.statusCode === 400 ? `the body was refused: ${error.message}` : undefined);
    if (message !== undefined) return sendError(reply, 400, message);
    this.logger.error({ err: error }, 'PUT /visits failed');
    return sendError(reply, 500, 'the count was not changed');
  }

  private async restore(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const reservation = this.reservations.get(request.raw)!;
    // Fastify also hands over requests without a body or Content-Type; only JSON is accepted here.
    if (!isJsonContentType(request.headers['content-type'])) {
      reservation.cancel();
      return sendError(reply, 400, BODY_ERRORS.FST_ERR_CTP_INVALID_MEDIA_TYPE!);
    }
    const parsed = parseRestoreBody(typeof request.body === 'string' ? request.body : '');
    if (!parsed.ok) {
      reservation.cancel();
      return sendError(reply, 400, parsed.message);
    }
    let visits: number;
    let previous: number;
    try {
      ({ visits, previous } = await reservation.set(parsed.visits));
    } catch (err) {
      if (!(err instanceof PersistError)) throw err;
      this.logger.error(
        { previous: this.store.count, requested: parsed.visits, reason: err.reason },
        'count NOT restored: the write failed',
      );
      return sendError(reply, 503, `count not changed: ${err.message}`);
    }
    this.logger.warn({ previous, visits, remoteAddress: request.ip }, 'count restored by PUT /visits');
    return reply.header('cache-control', 'no-store').send({ visits, previous, pod: this.config.podName });
  }
}
