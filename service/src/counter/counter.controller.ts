import { Controller, Get, Head, Header, HttpException, HttpStatus, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { CountLimitError, CounterStore, PersistError, QueueFullError } from './counter-store';

export interface VisitAnswer {
  visits: number;
  pod: string;
}

/** The queue drains in milliseconds; a second is long enough for a flood to pass. */
const RETRY_AFTER_SECONDS = 1;

@Controller()
export class CounterController {
  constructor(
    private readonly store: CounterStore,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * HEAD / is safe: link checkers and monitors send it. It answers as GET would, recording nothing.
   * Declared before GET /, so that Fastify does not derive a HEAD route from the GET handler.
   */
  @Head()
  @Header('Cache-Control', 'no-store')
  peek(): VisitAnswer {
    return this.current();
  }

  /** Records one visit and answers only once it is on disk. */
  @Get()
  @Header('Cache-Control', 'no-store')
  async visit(@Res({ passthrough: true }) reply: FastifyReply): Promise<VisitAnswer> {
    try {
      return { visits: await this.store.increment(), pod: this.config.podName };
    } catch (err) {
      if (err instanceof QueueFullError) reply.header('Retry-After', RETRY_AFTER_SECONDS);
      throw visitRefusal(err);
    }
  }

  /** The durable count; records nothing. */
  @Get('visits')
  @Header('Cache-Control', 'no-store')
  current(): VisitAnswer {
    return { visits: this.store.count, pod: this.config.podName };
  }
}

/** The HTTP answer for a visit that was not recorded. */
function visitRefusal(err: unknown): unknown {
  if (err instanceof PersistError) return new ServiceUnavailableException(`visit not recorded: ${err.message}`);
  if (err instanceof QueueFullError) return new ServiceUnavailableException(`visit not recorded: ${err.message}`);
  // 507: the count cannot be stored; permanent until an operator restores a smaller count.
  if (err instanceof CountLimitError) return new HttpException(`visit not recorded: ${err.message}`, HttpStatus.INSUFFICIENT_STORAGE);
  return err;
}
