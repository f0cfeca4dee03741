import { Worker } from 'node:worker_threads';

/**
 * The durable write, run on a thread of its own with synchronous system calls.
 *
 * With fs promises every step of a group commit (open, write, fdatasync, close, rename, fsync
 * of the directory) is its own trip through libuv's thread pool and back through the event
 * loop: six wake-ups per write, each one waiting behind whatever requests the loop is busy
 * with. Here the whole sequence is one message out and one message back, and the event loop
 * keeps parsing the next batch's requests while the disk works (docs/benchmarks.md).
 *
 * The thread's code is plain JavaScript in a string (an `eval` worker) so that it runs the
 * same from service/dist and from the TypeScript sources under ts-jest.
 */
const WRITER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { O_WRONLY, O_CREAT, O_TRUNC, O_RDONLY, O_DIRECTORY } = fs.constants;
const { dir, path, tempPath } = workerData;
let dirFd;

function closeQuietly(fd) {
  try { fs.closeSync(fd); } catch {}
}

// Temp file, fdatasync, rename over the data file, fsync of the directory: the rename is
// durable only once the directory entry is. Throws the first failing call's error.
function writeDurably(text) {
  const bytes = Buffer.from(text, 'utf8');
  const fd = fs.openSync(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
  try {
    const written = fs.writeSync(fd, bytes, 0, bytes.length, 0);
    if (written !== bytes.length) {
      // Only a filling disk writes short to a regular file.
      throw Object.assign(new Error('short write: ' + written + ' of ' + bytes.length + ' bytes'), { code: 'ENOSPC' });
    }
    // Data and size are all a reader needs; fdatasync skips the mtime flush that fsync adds.
    fs.fdatasyncSync(fd);
  } catch (err) {
    closeQuietly(fd);
    try { fs.unlinkSync(tempPath); } catch {} // give back the space on ENOSPC
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tempPath, path);
  // The directory stays open between writes: one open() fewer per write.
  if (dirFd === undefined) dirFd = fs.openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    fs.fsyncSync(dirFd);
  } catch (err) {
    closeQuietly(dirFd);
    dirFd = undefined;
    throw err;
  }
}

parentPort.on('message', ({ id, text, close }) => {
  if (close) {
    if (dirFd !== undefined) closeQuietly(dirFd);
    dirFd = undefined;
    parentPort.postMessage({ id });
    return;
  }
  try {
    writeDurably(text);
    parentPort.postMessage({ id });
  } catch (err) {
    parentPort.postMessage({ id, error: { message: String(err && err.message), code: err && err.code, syscall: err && err.syscall } });
  }
});
`;

interface Reply {
  id: number;
  error?: { message: string; code?: string; syscall?: string };
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

export interface WriterPaths {
  dir: string;
  path: string;
  tempPath: string;
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

  private send(message: { text?: string; close?: boolean }): Promise<void> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Keep the process alive only while a write is under way (an idle thread must not hold it).
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, ...message });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: this.paths, stdout: false, stderr: false });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
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

  private settle(reply: Reply): void {
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
