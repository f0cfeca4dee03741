import { closeSync, constants, fdatasyncSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';

/**
 * The writer thread's side (writer-thread.ts starts it): the durable write as synchronous
 * system calls, one message in and one reply out per write. Also imported by the tests on the
 * main thread, where it only exports: the thread starts serving below, never on import there.
 *
 * Run from the sources (ts-jest), the thread loads this .ts file itself and Node strips its
 * types, so it keeps to syntax that erasing types leaves valid JavaScript (no parameter
 * properties, no enums) and imports only Node's own modules.
 */

export interface WriterPaths {
  dir: string;
  path: string;
  tempPath: string;
}

/** Write `text` durably, or close the directory handle before the thread ends. */
export type WriterRequest = { id: number; text: string } | { id: number; close: true };

export interface WriterReply {
  id: number;
  error?: { message: string; code?: string; syscall?: string };
}

const { O_WRONLY, O_CREAT, O_TRUNC, O_RDONLY, O_DIRECTORY } = constants;

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the first error is the one to report
  }
}

/** Writes the data file durably; keeps the directory open between writes (one open() fewer each). */
export class DurableWriter {
  private readonly paths: WriterPaths;
  private dirFd: number | undefined;

  constructor(paths: WriterPaths) {
    this.paths = paths;
  }

  /**
   * Temp file, fdatasync, rename over the data file, fsync of the directory: the rename is
   * durable only once the directory entry is. Throws the first failing call's error.
   */
  write(text: string): void {
    const { dir, path, tempPath } = this.paths;
    const bytes = Buffer.from(text, 'utf8');
    const fd = openSync(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644);
    try {
      const written = writeSync(fd, bytes, 0, bytes.length, 0);
      if (written !== bytes.length) {
        // Only a filling disk writes short to a regular file.
        throw Object.assign(new Error(`short write: ${written} of ${bytes.length} bytes`), { code: 'ENOSPC' });
      }
      // Data and size are all a reader needs; fdatasync skips the mtime flush that fsync adds.
      fdatasyncSync(fd);
    } catch (err) {
      closeQuietly(fd);
      try {
        unlinkSync(tempPath); // give back the space on ENOSPC
      } catch {
        // nothing to give back
      }
      throw err;
    }
    closeSync(fd);
    renameSync(tempPath, path);
    this.dirFd ??= openSync(dir, O_RDONLY | O_DIRECTORY);
    try {
      fsyncSync(this.dirFd);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    if (this.dirFd !== undefined) closeQuietly(this.dirFd);
    this.dirFd = undefined;
  }
}

/** Answers every request on `port`: a write (text) or close, each with one reply of the same id. */
export function serveWrites(port: MessagePort, paths: WriterPaths): void {
  const writer = new DurableWriter(paths);
  const reply = (message: WriterReply): void => port.postMessage(message);
  port.on('message', (request: WriterRequest) => {
    const { id } = request;
    if ('close' in request) {
      writer.close();
      reply({ id });
      return;
    }
    try {
      writer.write(request.text);
      reply({ id });
    } catch (err) {
      const { message, code, syscall } = err as NodeJS.ErrnoException;
      reply({ id, error: { message: String(message), code, syscall } });
    }
  });
}

if (!isMainThread && parentPort) serveWrites(parentPort, workerData as WriterPaths);
