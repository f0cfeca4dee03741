import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, runToExit } from '../../../tests/support/service-process';

describe('start-up refusals of the built service', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await makeTempDir('visits-start-');
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a corrupt data file, says which file and why, and leaves it as it was', async () => {
    const file = join(dataDir, 'visits');
    await writeFile(file, '12 apples\n');
    const before = await stat(file);
    const { code, output } = await runToExit({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' });
    expect(code).toBe(1);
    const lines = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    const fatal = lines.filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toContain(`refusing to start: cannot use data file ${file}`);
    expect(fatal[0]!.msg).toContain('12 apples');
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
