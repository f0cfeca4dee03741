import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { Config } from '../config/config';
import { CONFIG } from '../tokens';
import { CounterStore, PersistError } from './counter-store';

export interface VisitAnswer {
  visits: number;
  pod: string;
}

@Controller()
export class CounterController {
  constructor(
    private readonly store: CounterStore,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** Records one visit and answers only once it is on disk. */
  @Get()
  @Header('Cache-Control', 'no-store')
  async visit(): Promise<VisitAnswer> {
    try {
      return { visits: await this.store.increment(), pod: this.config.podName };
    } catch (err) {
      if (err instanceof PersistError) throw new ServiceUnavailableException(`visit not recorded: ${err.message}`);
      throw err;
    }
  }

  /** The durable count; records nothing. */
  @Get('visits')
  @Header('Cache-Control', 'no-store')
  current(): VisitAnswer {
    return { visits: this.store.count, pod: this.config.podName };
  }
}
