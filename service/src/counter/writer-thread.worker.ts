import { closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
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

/** The data directory as the writer holds it open: the descriptor, and the identity it had when opened. */
interface HeldDirectory {
  fd: number;
  dev: number;
  ino: number;
}

/**
 * Writes the data file durably; keeps the directory open between writes (one open() fewer each),
 * as long as the path still names that directory.
 */
export class DurableWriter {
  private readonly paths: WriterPaths;
  private held: HeldDirectory | undefined;

  constructor(paths: WriterPaths) {
    this.paths = paths;
  }

  /**
   * Temp file, fdatasync, rename over the data file, fsync of the directory: the rename is
   * durable only once the directory entry is. Throws the first failing call's error.
   *
   * The rename goes by path, the fsync by descriptor: when the directory is replaced (deleted and
   * made again, a volume mounted over it) they would part, and the fsync would cover a directory
   * that no longer holds the file. So the descriptor is checked against the path before the
   * write (reopened when it changed) and again after the rename.
   */
  write(text: string): void {
    const { path, tempPath } = this.paths;
    const dir = this.liveDirectory();
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
    if (!this.namesDirectory(dir)) {
      // Replaced between the check and the rename: the file may sit in either directory, so
      // this write proves nothing. The next one opens the directory the path names then.
      this.close();
      throw Object.assign(new Error(`the data directory ${this.paths.dir} was replaced during the write`), { code: 'ESTALE' });
    }
    try {
      fsyncSync(dir.fd);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  close(): void {
    if (this.held !== undefined) closeQuietly(this.held.fd);
    this.held = undefined;
  }

  /** The directory handle, reopened when the path names another directory (or none) by now. */
  private liveDirectory(): HeldDirectory {
    if (this.held !== undefined && this.namesDirectory(this.held)) return this.held;
    this.close();
    const fd = openSync(this.paths.dir, O_RDONLY | O_DIRECTORY);
    const { dev, ino } = fstatSync(fd);
    this.held = { fd, dev, ino };
    return this.held;
  }

  /**
   * Whether the path still names the held directory: same device and inode. Holding it open keeps
   * its inode allocated, so a new directory cannot come back with the same number.
   */
  private namesDirectory(held: HeldDirectory): boolean {
    const now = statSync(this.paths.dir, { throwIfNoEntry: false });
    return now !== undefined && now.dev === held.dev && now.ino === held.ino;
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
