import { chmod, chown, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, runToExit, startService } from '../support/service-process';
import { get } from './support/probe';

/**
 * Torn and odd data files. The service must never reset a count it cannot read: it starts
 * only from a valid file and otherwise refuses with a message naming the file, leaving the
 * file and the directory exactly as they were.
 */
jest.setTimeout(60_000);

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function dataDirWith(files: Record<string, string>): Promise<string> {
  const parent = await makeTempDir('visits-torn-');
  temps.push(parent);
  await chmod(parent, 0o755);
  const dir = join(parent, 'data');
  await mkdir(dir, { mode: 0o755 });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return dir;
}

/** Names, sizes, modes, mtimes and bytes of everything in the directory. */
async function snapshot(dir: string): Promise<string> {
  const entries = [];
  for (const name of (await readdir(dir)).sort()) {
    const info = await stat(join(dir, name));
    const bytes = info.isFile()
      ? await readFile(join(dir, name)).then(
          (b) => b.toString('base64'),
          () => 'unreadable',
        )
      : 'dir';
    entries.push(`${name} ${info.size} ${info.mode.toString(8)} ${info.mtimeMs} ${bytes}`);
  }
  return entries.join('\n');
}

async function expectRefusal(dir: string, expected: RegExp, user: { uid?: number; gid?: number } = {}): Promise<void> {
  const before = await snapshot(dir);
  const port = await freePort();
  const { code, output } = await runToExit({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info' }, 15_000, user);
  expect(code).toBe(1);
  expect(output).toContain(`refusing to start: cannot use data file ${join(dir, 'visits')}`);
  expect(output).toMatch(expected);
  expect(output).not.toContain('visits service ready');
  expect(await snapshot(dir)).toBe(before);
}

const refused: Array<[string, string, RegExp]> = [
  ['empty (truncated to nothing)', '', /the file is empty/],
  ['zero-filled (size kept, data lost in a crash)', '\0\0\0\0\0\0', /expected a non-negative decimal integer/],
  ['a bare newline', '\n', /expected a non-negative decimal integer/],
  ['trailing garbage', '42\ngarbage', /expected a non-negative decimal integer/],
  ['two counts', '42\n43\n', /expected a non-negative decimal integer/],
  ['a half-written second digit run', '4 2\n', /expected a non-negative decimal integer/],
  ['leading whitespace', ' 42\n', /expected a non-negative decimal integer/],
  ['a negative count', '-1\n', /expected a non-negative decimal integer/],
  ['a fraction', '4.2\n', /expected a non-negative decimal integer/],
  ['hexadecimal', '0x2a\n', /expected a non-negative decimal integer/],
  ['a leading zero', '042\n', /expected a non-negative decimal integer/],
  ['a count beyond 2^53-1', '9007199254740993\n', /beyond 2\^53-1/],
  ['binary noise', '\xff\xfe\x00\x01garbage', /expected a non-negative decimal integer/],
];

test.concurrent.each(refused)('refuses %s and leaves it untouched', async (_name, content, message) => {
  await expectRefusal(await dataDirWith({ visits: content }), message);
});

test('refuses a directory where the data file should be (EISDIR)', async () => {
  const dir = await dataDirWith({});
  await mkdir(join(dir, 'visits'));
  await expectRefusal(dir, /EISDIR/);
});

test('refuses an unreadable data file (EACCES) instead of starting from 0', async () => {
  const dir = await dataDirWith({ visits: '42\n' });
  await chmod(join(dir, 'visits'), 0o000);
  // Root reads anything: as root the service runs as nobody, for whom the file is unreadable.
  if (asRoot) await chown(dir, NOBODY, NOBODY);
  await expectRefusal(dir, /EACCES/, asRoot ? { uid: NOBODY, gid: NOBODY } : {});
});

describe('files it may start from', () => {
  test('a stray temp file beside a valid data file is ignored, then replaced by the next write', async () => {
    const dir = await dataDirWith({ visits: '41\n', '.visits.tmp': '99\n' });
    const service = await startService({ dataDir: dir });
    try {
      expect(JSON.parse((await get(`${service.url}/visits`)).body)).toMatchObject({ visits: 41 });
      expect(JSON.parse((await get(`${service.url}/`)).body)).toMatchObject({ visits: 42 });
      expect(await readFile(join(dir, 'visits'), 'utf8')).toBe('42\n');
      expect(await readdir(dir)).not.toContain('.visits.tmp');
    } finally {
      await service.cleanup();
    }
  });

  test('a stray temp file without a data file: the first write never completed, so it was never acknowledged', async () => {
    const dir = await dataDirWith({ '.visits.tmp': '7\n' });
    const service = await startService({ dataDir: dir });
    try {
      expect(JSON.parse((await get(`${service.url}/visits`)).body)).toMatchObject({ visits: 0 });
      expect(JSON.parse((await get(`${service.url}/`)).body)).toMatchObject({ visits: 1 });
    } finally {
      await service.cleanup();
    }
  });

  test('a hand-written count without its newline is read as that count', async () => {
    const dir = await dataDirWith({ visits: '41' });
    const service = await startService({ dataDir: dir });
    try {
      expect(JSON.parse((await get(`${service.url}/`)).body)).toMatchObject({ visits: 42 });
      expect(await readFile(join(dir, 'visits'), 'utf8')).toBe('42\n');
    } finally {
      await service.cleanup();
    }
  });
});
