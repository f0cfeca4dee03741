import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CounterStore } from '../counter/counter-store';

@Injectable()
export class CounterIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly store: CounterStore,
  ) {}

  /** Up once the count has been read from disk. */
  loaded(key: string) {
    const indicator = this.indicators.check(key);
    return this.store.loaded ? indicator.up({ visits: this.store.count }) : indicator.down({ message: 'the counter is not loaded yet' });
  }

  /** Up while the last write succeeded; after a failure, one retry decides (this is how it heals). */
  async persisting(key: string) {
    const indicator = this.indicators.check(key);
    if (await this.store.retry()) return indicator.up();
    const failure = this.store.lastFailure;
    return indicator.down({ message: 'the last persist failed', reason: failure?.reason, since: failure?.at.toISOString() });
  }
}
