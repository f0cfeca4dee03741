import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_COUNT } from '../../src/counter/count-format';
import {
  CountLimitError,
  CounterStore,
  PersistError,
  QueueFullError,
  type RefusalReason,
  type StoreObserver,
} from '../../src/counter/counter-store';
import { DataFileError, DurableCountFile } from '../../src/counter/data-file';
import { breakWrites, healWrites } from '../support/break-writes';

/** Records what the store reports, as the metrics observer would see it. */
function recorder() {
  const events = { writes: 0, visits: 0, failures: [] as string[], refused: [] as RefusalReason[] };
  const observer: StoreObserver = {
    persisted: (_count, visits) => {
      events.writes += 1;
      events.visits += visits;
    },
    persistFailed: (reason) => {
      events.failures.push(reason);
    },
    refused: (reason) => {
      events.refused.push(reason);
    },
  };
  return { events, observer };
}

describe('CounterStore on a real file system', () => {
  let dir: string;
  let file: DurableCountFile;
  const dataPath = () => join(dir, 'visits');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'visits-store-'));
    file = new DurableCountFile(dir);
  });
  afterEach(async () => {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function openStore(maxQueued?: number) {
    const { events, observer } = recorder();
    const store = new CounterStore(file, observer, maxQueued);
    await store.load();
    return { store, events };
  }

  it('starts at 0 when there is no file, and creates it on the first visit', async () => {
    const { store } = await openStore();
    expect(store.count).toBe(0);
    await expect(stat(dataPath())).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(store.increment()).resolves.toBe(1);
    expect(await readFile(dataPath(), 'utf8')).toBe('1\n');
  });

  it('continues from the count on disk', async () => {
    await writeFile(dataPath(), '41\n');
    const { store } = await openStore();
    await expect(store.increment()).resolves.toBe(42);
  });

  it('acknowledges a visit only once it is in the file', async () => {
    const { store } = await openStore();
    for (let i = 1; i <= 5; i += 1) {
      const acknowledged = await store.increment();
      expect(Number(await readFile(dataPath(), 'utf8'))).toBeGreaterThanOrEqual(acknowledged);
    }
  });

  it('counts 1,000 concurrent visits exactly, with far fewer than 1,000 writes (group commit)', async () => {
    const { store, events } = await openStore();
    const numbers = await Promise.all(Array.from({ length: 1000 }, () => store.increment()));
    expect(store.count).toBe(1000);
    expect(await readFile(dataPath(), 'utf8')).toBe('1000\n');
    // Every visit got its own number: nothing lost, nothing counted twice.
    expect(new Set(numbers).size).toBe(1000);
    expect(Math.min(...numbers)).toBe(1);
    expect(Math.max(...numbers)).toBe(1000);
    expect(events.visits).toBe(1000);
    expect(events.writes).toBeLessThan(50);
  });

  it('ignores and replaces a stray temp file left by a crash', async () => {
    await writeFile(dataPath(), '7\n');
    await writeFile(join(dir, '.visits.tmp'), '99');
    const { store } = await openStore();
    expect(store.count).toBe(7);
    await expect(store.increment()).resolves.toBe(8);
    expect(await readFile(dataPath(), 'utf8')).toBe('8\n');
  });

  it.each([
    ['empty', ''],
    ['garbage', 'hello\n'],
    ['trailing garbage', '12\nxyz'],
    ['negative', '-3\n'],
    ['too large', '99999999999999999999\n'],
  ])('refuses a %s file and leaves it byte for byte as it was', async (_name, content) => {
    await writeFile(dataPath(), content);
    const before = await stat(dataPath());
    const store = new CounterStore(file, recorder().observer);
    const failure = store.load();
    await expect(failure).rejects.toBeInstanceOf(DataFileError);
    await expect(failure).rejects.toThrow(dataPath());
    expect(store.loaded).toBe(false);
    await expect(store.increment()).rejects.toThrow(/not loaded/);
    expect(await readFile(dataPath(), 'utf8')).toBe(content);
    expect((await stat(dataPath())).mtimeMs).toBe(before.mtimeMs);
  });

  it('refuses a data file it cannot read, naming the file and the errno', async () => {
    await mkdir(dataPath()); // a directory where the file should be: EISDIR on read
    const store = new CounterStore(file, recorder().observer);
    await expect(store.load()).rejects.toThrow(new RegExp(`${dataPath()}.*EISDIR`));
  });

  it('on a write error answers with PersistError, keeps the last good value and reports it', async () => {
    const { store, events } = await openStore();
    await store.increment();
    await store.increment();
    await breakWrites(dir);

    const attempts = await Promise.allSettled([store.increment(), store.increment(), store.increment()]);
    for (const attempt of attempts) {
      expect(attempt.status).toBe('rejected');
      expect((attempt as PromiseRejectedResult).reason).toBeInstanceOf(PersistError);
      expect((attempt as PromiseRejectedResult).reason).toMatchObject({ reason: 'EISDIR' });
    }
    expect(store.count).toBe(2);
    expect(await readFile(dataPath(), 'utf8')).toBe('2\n');
    expect(store.lastFailure).toMatchObject({ reason: 'EISDIR' });
    expect(events.failures.length).toBeGreaterThanOrEqual(1);
    expect(events.failures.every((reason) => reason === 'EISDIR')).toBe(true);
    await expect(store.retry()).resolves.toBe(false);
  });

  it('recovers by itself once writes work again, with no visit lost or invented', async () => {
    const { store } = await openStore();
    await store.increment();
    await breakWrites(dir);
    await expect(store.increment()).rejects.toBeInstanceOf(PersistError);
    await healWrites(dir);

    await expect(store.retry()).resolves.toBe(true);
    expect(store.lastFailure).toBeUndefined();
    await expect(store.increment()).resolves.toBe(2);
    expect(await readFile(dataPath(), 'utf8')).toBe('2\n');
  });

  it('reports a vanished data directory (ENOENT) as a failed write', async () => {
    const { store } = await openStore();
    await store.increment();
    await file.close();
    await rm(dir, { recursive: true, force: true });
    await expect(store.increment()).rejects.toMatchObject({ reason: 'ENOENT' });
    expect(store.count).toBe(1);
  });

  it('sets a count durably and keeps counting from it', async () => {
    const { store } = await openStore();
    await store.increment();
    await expect(store.set(500)).resolves.toBe(500);
    expect(await readFile(dataPath(), 'utf8')).toBe('500\n');
    await expect(store.increment()).resolves.toBe(501);
  });

  it('refuses to set an invalid count and changes nothing', async () => {
    const { store } = await openStore();
    await store.increment();
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN]) {
      await expect(store.set(bad)).rejects.toBeInstanceOf(RangeError);
    }
    expect(store.count).toBe(1);
    expect(await readFile(dataPath(), 'utf8')).toBe('1\n');
  });

  it('applies concurrent visits and a set in the order they arrived', async () => {
    const { store } = await openStore();
    const results = await Promise.all([store.increment(), store.set(100), store.increment(), store.increment()]);
    expect(results).toEqual([1, 100, 101, 102]);
    expect(store.count).toBe(102);
  });

  describe('a restore reserved on a connection (reserve)', () => {
    const connection = {};
    const otherConnection = {};

    it('queues the visits that connection sends after it behind it, however long its checks take', async () => {
      const { store } = await openStore();
      await store.increment();
      const reservation = store.reserve(connection);
      const visits = [store.increment(connection), store.increment(connection)];
      const elsewhere = await store.increment(otherConnection); // another connection does not wait
      await new Promise((resolve) => setTimeout(resolve, 20)); // the token and body being read
      expect(store.count).toBe(2);
      await expect(reservation.set(100)).resolves.toEqual({ visits: 100, previous: 2 });
      expect(await Promise.all(visits)).toEqual([101, 102]);
      expect(elsewhere).toBe(2);
      expect(await readFile(dataPath(), 'utf8')).toBe('102\n');
    });

    it('answers as previous the count it overwrote, visits queued before it included', async () => {
      const { store } = await openStore();
      const before = [store.increment(), store.increment()];
      const restored = store.reserve(connection).set(50);
      expect(await Promise.all(before)).toEqual([1, 2]);
      await expect(restored).resolves.toEqual({ visits: 50, previous: 2 });
    });

    it('applies two restores of one connection in the order they were received', async () => {
      const { store } = await openStore();
      const first = store.reserve(connection);
      const second = store.reserve(connection);
      const secondDone = second.set(20);
      const visit = store.increment(connection);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.count).toBe(0); // the second waits for the first
      await expect(first.set(10)).resolves.toEqual({ visits: 10, previous: 0 });
      await expect(secondDone).resolves.toEqual({ visits: 20, previous: 10 });
      await expect(visit).resolves.toBe(21);
    });

    it('lets the connection go on when the restore is refused (cancel)', async () => {
      const { store } = await openStore();
      const reservation = store.reserve(connection);
      const visit = store.increment(connection);
      reservation.cancel();
      await expect(visit).resolves.toBe(1);
      await expect(store.increment(connection)).resolves.toBe(2);
    });
  });

  it('counts up to 2^53-1 and refuses every visit past it: nothing acknowledged uncounted, nothing unreadable written', async () => {
    await writeFile(dataPath(), `${MAX_COUNT - 2}\n`);
    const { store, events } = await openStore();
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => store.increment()));
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([MAX_COUNT - 1, MAX_COUNT]);
    const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as Error);
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(CountLimitError);
    expect(events.refused).toEqual(['count_limit', 'count_limit', 'count_limit']);
    expect(await readFile(dataPath(), 'utf8')).toBe(`${MAX_COUNT}\n`);
    // The file it wrote is one start-up accepts, and a restore is the way back below the limit.
    await file.close();
    file = new DurableCountFile(dir);
    const reopened = await openStore();
    expect(reopened.store.count).toBe(MAX_COUNT);
    await expect(reopened.store.increment()).rejects.toBeInstanceOf(CountLimitError);
    expect(reopened.events.writes).toBe(0); // a refused visit changes nothing, so nothing is written
    await expect(reopened.store.set(10)).resolves.toBe(10);
    await expect(reopened.store.increment()).resolves.toBe(11);
  });

  it('refuses a change when the queue is full, and takes changes again once it drains', async () => {
    const { store, events } = await openStore(3);
    // The first visit starts a write at once; the next three wait in the queue; the fifth is refused.
    const accepted = Array.from({ length: 4 }, () => store.increment());
    await expect(store.increment()).rejects.toBeInstanceOf(QueueFullError);
    expect(events.refused).toEqual(['queue_full']);
    await expect(Promise.all(accepted)).resolves.toEqual([1, 2, 3, 4]);
    await expect(store.increment()).resolves.toBe(5);
    expect(await readFile(dataPath(), 'utf8')).toBe('5\n');
  });

  it('flush waits for every queued write', async () => {
    const { store } = await openStore();
    const pending = Array.from({ length: 50 }, () => store.increment());
    await store.flush();
    expect(store.count).toBe(50);
    expect(await readFile(dataPath(), 'utf8')).toBe('50\n');
    await Promise.all(pending);
  });
});
