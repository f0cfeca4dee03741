// The module object itself (not a copy of its bindings): the writer calls through it, so spies on it see each call.
import fs from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { WriterThread } from '../../src/counter/writer-thread';
import { DurableWriter, serveWrites, type WriterPaths, type WriterReply } from '../../src/counter/writer-thread.worker';
import { breakWrites, healWrites } from '../support/break-writes';

let dir: string;
let paths: WriterPaths;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-writer-'));
  paths = { dir, path: join(dir, 'visits'), tempPath: join(dir, '.visits.tmp') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

// The thread's code, on this thread: what the writer thread runs, seen by the type checker and coverage.
describe('DurableWriter', () => {
  it('replaces the data file with the text and leaves no temp file', async () => {
    const writer = new DurableWriter(paths);
    writer.write('41\n');
    writer.write('42\n');
    writer.close();
    expect(await readFile(paths.path, 'utf8')).toBe('42\n');
    expect(await readdir(dir)).toEqual(['visits']);
  });

  it('writes over a stray temp file left by a crash', async () => {
    await writeFile(paths.tempPath, 'half a wri');
    const writer = new DurableWriter(paths);
    writer.write('7\n');
    writer.close();
    expect(await readFile(paths.path, 'utf8')).toBe('7\n');
  });

  it('throws the failing call’s error and leaves the data file as it was', async () => {
    await writeFile(paths.path, '5\n');
    await breakWrites(dir);
    const writer = new DurableWriter(paths);
    expect(() => writer.write('6\n')).toThrow(expect.objectContaining({ code: 'EISDIR', syscall: 'open' }));
    expect(await readFile(paths.path, 'utf8')).toBe('5\n');
    await healWrites(dir);
    writer.write('6\n');
    writer.close();
    expect(await readFile(paths.path, 'utf8')).toBe('6\n');
  });

  it('reports a vanished data directory as ENOENT', async () => {
    const writer = new DurableWriter(paths);
    await rm(dir, { recursive: true });
    expect(() => writer.write('1\n')).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open' }));
  });

  describe('when the path names another directory (deleted and made again, a volume mounted over it)', () => {
    afterEach(() => jest.restoreAllMocks());

    /** The device and inode of every directory fsynced, read while the descriptor is still open. */
    function recordFsyncs(): string[] {
      const fsynced: string[] = [];
      const realFsync = fs.fsyncSync;
      jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
        const { dev, ino } = fs.fstatSync(fd);
        fsynced.push(`${dev}:${ino}`);
        realFsync(fd);
      });
      return fsynced;
    }
    const identity = (path: string) => {
      const { dev, ino } = fs.statSync(path);
      return `${dev}:${ino}`;
    };

    it('fsyncs the directory that now holds the file, not the one it held open', async () => {
      const fsynced = recordFsyncs();
      const writer = new DurableWriter(paths);
      writer.write('1\n');
      await rm(dir, { recursive: true });
      await mkdir(dir);
      writer.write('2\n');
      writer.close();
      expect(await readFile(paths.path, 'utf8')).toBe('2\n');
      expect(fsynced).toHaveLength(2);
      expect(fsynced[1]).toBe(identity(dir));
      expect(fsynced[1]).not.toBe(fsynced[0]);
    });

    it('fails a write whose directory was replaced between the check and the rename (ESTALE); the next one lands', async () => {
      const fsynced = recordFsyncs();
      const writer = new DurableWriter(paths);
      writer.write('1\n');
      const realRename = fs.renameSync;
      // The rename lands in the old directory, then the path is given a new one.
      jest.spyOn(fs, 'renameSync').mockImplementationOnce((from, to) => {
        realRename(from, to);
        fs.renameSync(dir, `${dir}.old`);
        fs.mkdirSync(dir);
      });
      expect(() => writer.write('2\n')).toThrow(expect.objectContaining({ code: 'ESTALE' }));
      expect(fsynced).toHaveLength(1);
      writer.write('2\n');
      writer.close();
      expect(await readFile(paths.path, 'utf8')).toBe('2\n');
      expect(fsynced[1]).toBe(identity(dir));
      await rm(`${dir}.old`, { recursive: true, force: true });
    });
  });
});

describe('serveWrites', () => {
  it('answers each request with its id, and a failure with its message, code and system call', async () => {
    const { port1, port2 } = new MessageChannel();
    serveWrites(port1, paths);
    const reply = (request: object) =>
      new Promise<WriterReply>((resolve) => {
        port2.once('message', resolve);
        port2.postMessage(request);
      });
    try {
      expect(await reply({ id: 1, text: '1\n' })).toEqual({ id: 1 });
      await breakWrites(dir);
      expect(await reply({ id: 2, text: '2\n' })).toEqual({
        id: 2,
        error: { message: expect.stringContaining('EISDIR'), code: 'EISDIR', syscall: 'open' },
      });
      expect(await reply({ id: 3, close: true })).toEqual({ id: 3 });
      expect(await readFile(paths.path, 'utf8')).toBe('1\n');
    } finally {
      port1.close();
    }
  });
});

// The real thread, started from the .ts source as under every test of the service.
describe('WriterThread', () => {
  let thread: WriterThread;
  beforeEach(() => {
    thread = new WriterThread(paths);
  });
  afterEach(() => thread.close());

  it('resolves a write once the text is in the data file', async () => {
    thread.start();
    await thread.write('3\n');
    expect(await readFile(paths.path, 'utf8')).toBe('3\n');
  });

  it('rejects a failed write with the errno code and system call, and writes again once the disk heals', async () => {
    await breakWrites(dir);
    await expect(thread.write('4\n')).rejects.toMatchObject({ code: 'EISDIR', syscall: 'open' });
    await healWrites(dir);
    await thread.write('4\n');
    expect(await readFile(paths.path, 'utf8')).toBe('4\n');
  });

  it('starts a new thread for a write after close', async () => {
    await thread.write('1\n');
    await thread.close();
    await thread.write('2\n');
    expect(await readFile(paths.path, 'utf8')).toBe('2\n');
  });
});
