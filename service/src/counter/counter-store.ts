import { errnoOf, type CountFile } from './data-file';
import { MAX_COUNT, isValidCount } from './count-format';
import { SourceTurns } from './source-turns';

/** Why a change was refused before it was written; each is a label of visits_refused_total. */
export const REFUSAL_REASONS = ['count_limit', 'queue_full'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** What the store tells the outside world; metrics and logs implement it. */
export interface StoreObserver {
  persisted(count: number, visits: number, seconds: number): void;
  persistFailed(reason: string, error: Error, lostVisits: number): void;
  refused(reason: RefusalReason): void;
}

/** A change was not made durable, so it did not happen. */
export class PersistError extends Error {
  constructor(readonly reason: string) {
    super(`the count could not be persisted (${reason})`);
    this.name = 'PersistError';
  }
}

/**
 * The count is at 2^53-1, the largest whole number a JSON client reads exactly: a visit past it
 * is refused, never acknowledged uncounted, and nothing larger is ever written (start-up would
 * refuse the file). PUT /visits with a smaller count is the way out.
 */
export class CountLimitError extends Error {
  constructor() {
    super(`the count is at its limit ${MAX_COUNT}; nothing was recorded`);
    this.name = 'CountLimitError';
  }
}

/** More changes are waiting for the disk than the store accepts; the caller may retry shortly. */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} changes are already waiting to be written; nothing was recorded`);
    this.name = 'QueueFullError';
  }
}

/** Changes that may wait for the disk at once: far above what the disk drains per write at full load. */
export const DEFAULT_MAX_QUEUED = 4096;

export interface PersistFailure {
  reason: string;
  message: string;
  at: Date;
}

/** A set's `replaced` is filled in as the batch is applied: the count it overwrote. */
type SetOperation = { kind: 'set'; value: number; replaced?: number };
type Operation = { kind: 'increment' } | SetOperation | { kind: 'rewrite' };

export interface Restored {
  visits: number;
  /** The count the restore overwrote: the durable count and the visits queued before it. */
  previous: number;
}

/** A restore's place among its source's changes, taken as it is received (CounterStore.reserve). */
export interface Reservation {
  /** Queues the restore in its place; the source's later changes follow it. */
  set(value: number): Promise<Restored>;
  /** Gives the place up (the restore was refused); does nothing once set. */
  cancel(): void;
}

interface Waiter {
  operation: Operation;
  resolve(count: number): void;
  reject(error: Error): void;
}

/**
 * The visit counter. Every change is queued; one writer at a time takes the whole queue,
 * applies it in order and writes the result once (group commit), so N concurrent visits
 * cost one durable write, not N. A change is acknowledged only after its write is durable;
 * a failed write rejects the whole batch and leaves `durable` (and the file) at the last good value.
 */
export class CounterStore {
  private durable = 0;
  private isLoaded = false;
  private queue: Waiter[] = [];
  private draining: Promise<void> | undefined;
  private failure: PersistFailure | undefined;
  private readonly turns = new SourceTurns();

  constructor(
    private readonly file: CountFile,
    private readonly observer: StoreObserver,
    private readonly maxQueued = DEFAULT_MAX_QUEUED,
  ) {}

  /** Reads the file (missing: 0). A corrupt or unreadable file throws and is left untouched. */
  async load(): Promise<number> {
    this.durable = (await this.file.read()) ?? 0;
    this.isLoaded = true;
    return this.durable;
  }

  get loaded(): boolean {
    return this.isLoaded;
  }

  /** The count on disk: every acknowledged change and nothing else. */
  get count(): number {
    return this.durable;
  }

  get lastFailure(): PersistFailure | undefined {
    return this.failure;
  }

  get path(): string {
    return this.file.path;
  }

  /**
   * Records one visit; resolves with this visit's number once it is on disk. `source` (the
   * client's connection) keeps it behind a restore that source sent before it (reserve()).
   */
  increment(source?: object): Promise<number> {
    const restoreFirst = source === undefined ? undefined : this.turns.after(source);
    if (restoreFirst === undefined) return this.enqueue({ kind: 'increment' });
    return restoreFirst.then(() => this.enqueue({ kind: 'increment' }));
  }

  /** Sets the count (restoring after a lost volume); durable like a visit. */
  async set(value: number): Promise<number> {
    return (await this.replace(value)).visits;
  }

  /**
   * Takes a restore's place among the changes from `source` as the request is received, before
   * its token and body are checked: the visits that source sends after it are queued after it,
   * so a visit answered after the restore is counted on top of it, never overwritten by it.
   */
  reserve(source: object): Reservation {
    const turn = this.turns.take(source);
    return {
      set: async (value) => {
        await turn.earlier;
        const done = this.replace(value); // queued (or refused) now, before the source's next changes
        turn.give();
        return done;
      },
      cancel: () => turn.give(),
    };
  }

  /** Sets the count; resolves with it and the count it replaced, visits queued before it included. */
  private replace(value: number): Promise<Restored> {
    if (!isValidCount(value)) return Promise.reject(new RangeError(`not a valid count: ${value}`));
    const operation: SetOperation = { kind: 'set', value };
    return this.enqueue(operation).then((visits) => ({ visits, previous: operation.replaced! }));
  }

  /**
   * Writes the current count again. After a failure this is how the store heals by itself:
   * readiness calls it, so an idle replica comes back without waiting for a visit.
   */
  async retry(): Promise<boolean> {
    if (!this.failure) return true;
    try {
      await this.enqueue({ kind: 'rewrite' });
      return true;
    } catch {
      return false;
    }
  }

  /** Waits until every queued change has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.file.close();
  }

  private enqueue(operation: Operation): Promise<number> {
    if (!this.isLoaded) return Promise.reject(new Error('the counter is not loaded yet'));
    // Bounded so that a flood costs answers, not memory; rewrites (self-healing) are never refused.
    if (this.queue.length >= this.maxQueued && operation.kind !== 'rewrite') {
      this.observer.refused('queue_full');
      return Promise.reject(new QueueFullError(this.maxQueued));
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ operation, resolve, reject });
      // One writer at a time; whatever queues meanwhile rides on the next write.
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    let answerPrevious: (() => void) | undefined;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        // The next write starts (synchronously, up to its first await) before the previous
        // batch is answered: answering costs a turn of the event loop, and the disk should
        // not wait for it. The previous batch is already durable (or failed) at this point.
        const committed = this.commit(batch);
        answerPrevious?.();
        answerPrevious = await committed;
      }
      answerPrevious?.();
    } finally {
      // Cleared in the same synchronous step as the empty-queue check, so no change is stranded.
      this.draining = undefined;
    }
  }

  /** Writes the batch; resolves, once the outcome is known, with the function that answers its waiters. */
  private async commit(batch: Waiter[]): Promise<() => void> {
    let next = this.durable;
    let visits = 0;
    const results = batch.map(({ operation }): number | CountLimitError => {
      if (operation.kind === 'increment') {
        if (next >= MAX_COUNT) {
          this.observer.refused('count_limit');
          return new CountLimitError();
        }
        visits += 1;
        next += 1;
      } else if (operation.kind === 'set') {
        operation.replaced = next;
        next = operation.value;
      }
      return next;
    });
    const answer = (): void =>
      batch.forEach((waiter, i) => {
        const result = results[i]!;
        if (typeof result === 'number') waiter.resolve(result);
        else waiter.reject(result);
      });
    // Visits refused at the limit change nothing: a batch of only those needs no write.
    if (results.every((result) => result instanceof CountLimitError)) return answer;
    const started = process.hrtime.bigint();
    try {
      await this.file.write(next);
    } catch (err) {
      const reason = errnoOf(err);
      const error = err instanceof Error ? err : new Error(String(err));
      this.failure = { reason, message: error.message, at: new Date() };
      this.observer.persistFailed(reason, error, visits);
      const rejection = new PersistError(reason);
      return () => batch.forEach((waiter) => waiter.reject(rejection));
    }
    this.durable = next;
    this.failure = undefined;
    this.observer.persisted(next, visits, Number(process.hrtime.bigint() - started) / 1e9);
    return answer;
  }
}
