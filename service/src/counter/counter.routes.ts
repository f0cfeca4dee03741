import type { Socket } from 'node:net';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config/config';
import { sendError } from '../http/error-answer';
import { CONFIG } from '../tokens';
import { MAX_COUNT } from './count-format';
import { CountLimitError, CounterStore, PersistError, QueueFullError } from './counter-store';

export interface VisitAnswer {
  visits: number;
  pod: string;
}

/** The queue drains in milliseconds; a second is long enough for a flood to pass. */
const RETRY_AFTER_SECONDS = '1';

/**
 * GET /, HEAD / and GET /visits as plain Fastify routes rather than a Nest controller: GET / is the
 * hot path, and Nest's per-request execution context (pipes, guards, interceptors, none of which
 * these routes use) cost about 3.5 µs of the 43 µs of CPU a durable visit takes (docs/benchmarks.md).
 * Answers and errors keep the shape they had as a controller.
 */
@Injectable()
export class CounterRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(CONFIG) private readonly config: Config,
    private readonly store: CounterStore,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // HEAD / is safe: link checkers and monitors send it. It answers as GET / would, recording nothing.
    fastify.head('/', (_request, reply) => this.peek(reply));
    fastify.get('/', { exposeHeadRoute: false }, (request, reply) => this.visit(request.raw.socket, reply));
    fastify.get('/visits', (_request, reply) => this.answer(reply, this.store.count));
  }

  /** Records one visit and answers only once it is on disk; after a restore its connection sent first (CounterStore.reserve). */
  private async visit(connection: Socket, reply: FastifyReply): Promise<FastifyReply> {
    let visits: number;
    try {
      visits = await this.store.increment(connection);
    } catch (err) {
      if (err instanceof PersistError) return sendError(reply, 503, `visit not recorded: ${err.message}`);
      if (err instanceof QueueFullError)
        return sendError(reply.header('retry-after', RETRY_AFTER_SECONDS), 503, `visit not recorded: ${err.message}`);
      // 507: the count cannot be stored; permanent until an operator restores a smaller count.
      if (err instanceof CountLimitError) return sendError(reply, 507, `visit not recorded: ${err.message}`);
      throw err;
    }
    return this.answer(reply, visits);
  }

  /**
   * What GET / would answer now, without queueing a visit: 507 at the count's limit, 503 while the
   * last write failed (GET / would try the disk again; until one succeeds it fails). The one
   * refusal it cannot foresee is a full queue: it queues nothing, so it has nothing to shed.
   */
  private peek(reply: FastifyReply): FastifyReply {
    const count = this.store.count;
    if (count >= MAX_COUNT) return sendError(reply, 507, `visit not recorded: ${new CountLimitError().message}`);
    const failure = this.store.lastFailure;
    if (failure !== undefined) return sendError(reply, 503, `visit not recorded: ${new PersistError(failure.reason).message}`);
    return this.answer(reply, count);
  }

  private answer(reply: FastifyReply, visits: number): FastifyReply {
    return reply.header('cache-control', 'no-store').send({ visits, pod: this.config.podName } satisfies VisitAnswer);
  }
}
