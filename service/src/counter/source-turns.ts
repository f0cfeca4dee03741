/** A place taken in one source's order; `give()` hands it back (once; later calls do nothing). */
export interface Turn {
  /** Resolves once every turn the source took before this one has been given back. */
  readonly earlier: Promise<void>;
  give(): void;
}

const NOTHING_EARLIER = Promise.resolve();

/**
 * Keeps the changes from one source (a client's connection) in the order it sent them when one
 * of them has to be checked before it can be queued. A restore is queued only once its token and
 * body have been read, while HTTP/1.1 lets a client pipeline visits behind it that Node hands
 * over at once: the restore takes a turn as it is received, and the changes its source sends
 * after it wait until the turn is given back.
 */
export class SourceTurns {
  private readonly held = new WeakMap<object, Promise<void>>();
  /** Turns not yet given back, anywhere: almost always none, and then nobody looks a source up. */
  private holding = 0;

  /** Undefined when `source` holds no turn (go ahead now); else resolves once its turns taken so far are given back. */
  after(source: object): Promise<void> | undefined {
    return this.holding === 0 ? undefined : this.held.get(source);
  }

  take(source: object): Turn {
    const earlier = this.held.get(source) ?? NOTHING_EARLIER;
    let give!: () => void;
    const given = new Promise<void>((resolve) => (give = resolve));
    // Later changes wait for this turn and every earlier one, whatever order they are given back in.
    const until = Promise.all([earlier, given]).then(() => undefined);
    this.held.set(source, until);
    this.holding += 1;
    void until.then(() => {
      this.holding -= 1;
      if (this.held.get(source) === until) this.held.delete(source);
    });
    return { earlier, give };
  }
}
