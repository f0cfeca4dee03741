import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, runToExit } from '@visits/test-support/service-process';
import { runAsRootSync } from '@visits/test-support/privileged';

/** The one fatal line of a refused start-up. */
function fatalLine(output: string): { msg: string } & Record<string, unknown> {
  const lines = output
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; msg: string });
  const fatal = lines.filter((l) => l.level === 'fatal');
  expect(fatal).toHaveLength(1);
  return fatal[0]!;
}

describe('start-up refusals of the built service', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await makeTempDir('visits-start-');
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a FIFO as the data file at once, instead of waiting for ever for a writer', async () => {
    const file = join(dataDir, 'visits');
    execFileSync('mkfifo', [file]);
    const { code, output } = await runToExit({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }, 10_000);
    expect(code).toBe(1);
    expect(fatalLine(output).msg).toContain(`cannot use data file ${file}: it is not a regular file`);
  });

  it('refuses a 50 MB data file without reading it, in a log line of normal size', async () => {
    const file = join(dataDir, 'visits');
    await writeFile(file, '9'.repeat(50 * 1024 * 1024));
    const { code, output } = await runToExit({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(code).toBe(1);
    expect(fatalLine(output).msg).toContain(`it is ${50 * 1024 * 1024} bytes long; a count takes at most 17`);
    expect(output.length).toBeLessThan(10_000);
  });

  it('names the real cause when DATA_DIR cannot be created on a read-only file system (EROFS, not ENOENT)', async () => {
    const mountPoint = join(dataDir, 'ro');
    await mkdir(mountPoint);
    runAsRootSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint]);
    try {
      const { code, output } = await runToExit({ DATA_DIR: join(mountPoint, 'data'), PORT: '0', HOST: '127.0.0.1' });
      expect(code).toBe(1);
      expect(fatalLine(output).msg).toMatch(/its directory cannot be created \(EROFS: /);
    } finally {
      runAsRootSync('umount', [mountPoint]);
    }
  });

  it('refuses a corrupt data file, says which file and why, and leaves it as it was', async () => {
    const file = join(dataDir, 'visits');
    await writeFile(file, '12 apples\n');
    const before = await stat(file);
    const { code, output } = await runToExit({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(code).toBe(1);
    const fatal = fatalLine(output);
    expect(fatal.msg).toContain(`refusing to start: cannot use data file ${file}`);
    expect(fatal.msg).toContain('12 apples');
    expect(await readFile(file, 'utf8')).toBe('12 apples\n');
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it.each([
    ['PORT', 'http'],
    ['SHUTDOWN_DELAY_MS', 'soon'],
    ['LOG_LEVEL', 'chatty'],
  ])('stops at once on %s=%j with one line naming the variable', async (name, value) => {
    const { code, output } = await runToExit({ DATA_DIR: dataDir, [name]: value });
    expect(code).toBe(78);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { level: string; msg: string; pod: string };
    expect(line.level).toBe('fatal');
    expect(line.msg).toContain(`${name} must be`);
    expect(line.pod).toBeTruthy();
  });
});
