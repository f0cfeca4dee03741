import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WriterPaths, WriterReply, WriterRequest } from './writer-thread.worker';

export type { WriterPaths } from './writer-thread.worker';

/**
 * The durable write, run on a thread of its own with synchronous system calls.
 *
 * With fs promises every step of a group commit (open, write, fdatasync, close, rename, fsync
 * of the directory) is its own trip through libuv's thread pool and back through the event
 * loop: six wake-ups per write, each one waiting behind whatever requests the loop is busy
 * with. Here the whole sequence is one message out and one message back, and the event loop
 * keeps parsing the next batch's requests while the disk works (docs/benchmarks.md).
 *
 * The thread runs writer-thread.worker beside this module: the compiled .js in service/dist.
 * Under ts-jest this module is the .ts source, and so is the thread's script, whose types Node
 * strips as it loads it: either way the thread runs the code the type checker and the tests see.
 * From the source Node loads it as an ES module (it has import syntax, and service/package.json
 * names no module type) and would warn about that once per thread: expected, so not shown.
 */
const FROM_SOURCE = extname(__filename) === '.ts';
const THREAD_SCRIPT = join(__dirname, `writer-thread.worker${extname(__filename)}`);
const THREAD_EXEC_ARGV = FROM_SOURCE ? [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : undefined;

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/** Main-thread side of the writer thread: `write(text)` resolves once `text` is durable at `path`. */
export class WriterThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly paths: WriterPaths) {}

  /** Starts the thread ahead of the first write, so its start-up is not on a visit's path. */
  start(): void {
    this.ensureWorker();
  }

  write(text: string): Promise<void> {
    return this.send({ text });
  }

  /** Closes the thread's directory handle and ends the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await this.send({ close: true }).catch(() => undefined);
    this.worker = undefined;
    await worker.terminate();
  }

  private send(message: { text: string } | { close: true }): Promise<void> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a write is under way (an idle thread must not hold it).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ...message } satisfies WriterRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SCRIPT, { execArgv: THREAD_EXEC_ARGV, workerData: this.paths, stdout: false, stderr: false });
    worker.unref();
    worker.on('message', (reply: WriterReply) => this.settle(reply));
    // A thread that dies takes its writes with it: they fail, and the next write starts a new thread.
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const w of waiting) w.reject(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(Object.assign(new Error(`the writer thread exited (${code})`), { code: 'EWORKER' })));
    this.worker = worker;
    return worker;
  }

  private settle(reply: WriterReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.error) {
      const { message, code, syscall } = reply.error;
      waiter.reject(Object.assign(new Error(message), { code, syscall }));
    } else {
      waiter.resolve();
    }
  }
}
