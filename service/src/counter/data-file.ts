import { constants, type Stats } from 'node:fs';
import { mkdir, open, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MAX_FILE_BYTES, formatCount, parseCount } from './count-format';
import { WriterThread } from './writer-thread';

export const DATA_FILE_NAME = 'visits';
const TEMP_FILE_NAME = '.visits.tmp';
const PROBE_FILE_NAME = '.visits.probe';

/** The data file exists but cannot be trusted: start is refused and the file is left alone. */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`cannot use data file ${file}: ${reason}`);
    this.name = 'DataFileError';
  }
}

export interface VolumeSpace {
  availableBytes: number;
  totalBytes: number;
}

/** Where the count lives. The store only ever talks to this interface. */
export interface CountFile {
  readonly path: string;
  /** The stored count, or undefined when there is no file yet. */
  read(): Promise<number | undefined>;
  /** Resolves only once `count` is durable: temp file, fdatasync, rename, fsync of the directory. */
  write(count: number): Promise<void>;
  /** Proves the directory takes writes now (a real create, write and unlink). */
  checkWritable(): Promise<void>;
  space(): Promise<VolumeSpace>;
  close(): Promise<void>;
}

/** The real thing: one decimal file on the replica's volume, replaced atomically. */
export class DurableCountFile implements CountFile {
  readonly path: string;
  private readonly writer: WriterThread;

  constructor(private readonly dir: string) {
    this.path = join(dir, DATA_FILE_NAME);
    this.writer = new WriterThread({ dir, path: this.path, tempPath: join(dir, TEMP_FILE_NAME) });
  }

  async read(): Promise<number | undefined> {
    try {
      await createDirectory(this.dir);
    } catch (err) {
      throw new DataFileError(this.path, `its directory cannot be created (${errnoOf(err)}: ${(err as Error).message})`);
    }
    let text: string;
    try {
      text = await readSmallRegularFile(this.path);
    } catch (err) {
      if (err instanceof DataFileError) throw err;
      if (isErrno(err, 'ENOENT')) {
        this.writer.start();
        return undefined;
      }
      throw new DataFileError(this.path, `it cannot be read (${errnoOf(err)}: ${(err as Error).message})`);
    }
    let count: number;
    try {
      count = parseCount(text);
    } catch (err) {
      throw new DataFileError(this.path, (err as Error).message);
    }
    // Boots while Nest starts, not on the first visit (and only for a file the service will use).
    this.writer.start();
    return count;
  }

  /** Resolves once `count` is durable; the writer thread does the system calls (writer-thread.ts). */
  write(count: number): Promise<void> {
    return this.writer.write(formatCount(count));
  }

  async checkWritable(): Promise<void> {
    const probe = join(this.dir, PROBE_FILE_NAME);
    const handle = await open(probe, 'w');
    try {
      await handle.writeFile('ok');
    } finally {
      await handle.close();
      await unlink(probe).catch(() => undefined);
    }
  }

  async space(): Promise<VolumeSpace> {
    const stats = await statfs(this.dir);
    return { availableBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** BENCH_NO_PERSIST only: the same store with nothing written, the in-memory ceiling of this stack. */
export class MemoryCountFile implements CountFile {
  readonly path = '(memory)';
  read(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  checkWritable(): Promise<void> {
    return Promise.resolve();
  }
  space(): Promise<VolumeSpace> {
    return Promise.resolve({ availableBytes: Number.MAX_SAFE_INTEGER, totalBytes: Number.MAX_SAFE_INTEGER });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * mkdir -p that reports the real cause: Node's recursive mkdir answers ENOENT where the parent
 * is on a read-only file system (EROFS) or not writable, which sends an operator the wrong way.
 */
async function createDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) {
      if ((await stat(dir)).isDirectory()) return;
      throw err;
    }
    if (!isErrno(err, 'ENOENT') || dirname(dir) === dir) throw err;
    await createDirectory(dirname(dir));
    await mkdir(dir).catch((again: unknown) => {
      if (!isErrno(again, 'EEXIST')) throw again;
    });
  }
}

/**
 * Reads the data file, refusing what cannot be a count before reading it: a FIFO or device would
 * block start-up for ever (opened non-blocking, then checked), and a file larger than any count
 * would only be read to be refused, its whole content landing in the error message.
 */
async function readSmallRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new DataFileError(path, `it is not a regular file (${fileKind(stats)})`);
    if (stats.size > MAX_FILE_BYTES)
      throw new DataFileError(path, `it is ${stats.size} bytes long; a count takes at most ${MAX_FILE_BYTES} (not read)`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'EISDIR: a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device';
}

export function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function isErrno(err: unknown, code: string): boolean {
  return errnoOf(err) === code;
}
