import { mkdir, readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runAsRoot, tmpfsOwnerOptions } from '../support/privileged';
import { makeTempDir, startService, type ServiceProcess } from '../support/service-process';
import { get } from './support/probe';

/**
 * The data directory replaced under a running service: deleted and made again, and a volume
 * mounted over it. A visit is durable only if the directory the writer fsyncs is the one that
 * holds the data file. The writer's directory handle is read from /proc/<pid>/fd (no strace): it
 * must name the live directory (not "… (deleted)"), have its device and inode, and hold the
 * data file with the acknowledged count (read through the handle itself).
 */
jest.setTimeout(60_000);

interface HeldDirectory {
  /** /proc/<pid>/fd/<n>: opening paths below it goes through the very directory the process holds. */
  handle: string;
  target: string;
  dev: number;
  ino: number;
}

/** The descriptors of the service that point at the data directory, deleted or not. */
async function heldDataDirectories(service: ServiceProcess, dataDir: string): Promise<HeldDirectory[]> {
  const fdDir = `/proc/${service.child.pid}/fd`;
  const held: HeldDirectory[] = [];
  for (const fd of await readdir(fdDir)) {
    const handle = join(fdDir, fd);
    const target = await readlink(handle).catch(() => undefined); // closed meanwhile
    if (target !== dataDir && target !== `${dataDir} (deleted)`) continue;
    const { dev, ino } = await stat(handle);
    held.push({ handle, target, dev, ino });
  }
  return held;
}

/** The one directory handle the writer holds is the live data directory, holding `count`. */
async function expectWriterHoldsLiveDirectory(service: ServiceProcess, dataDir: string, count: number): Promise<void> {
  const live = await stat(dataDir);
  const held = await heldDataDirectories(service, dataDir);
  expect(held.map(({ target, dev, ino }) => ({ target, dev, ino }))).toEqual([{ target: dataDir, dev: live.dev, ino: live.ino }]);
  expect(await readFile(join(held[0]!.handle, 'visits'), 'utf8')).toBe(`${count}\n`);
}

async function visit(service: ServiceProcess): Promise<number> {
  const answer = await get(`${service.url}/`);
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { visits: number }).visits;
}

describe('a data directory replaced while the service runs', () => {
  let parent: string | undefined;
  let service: ServiceProcess | undefined;
  let mountedOn: string | undefined;

  afterEach(async () => {
    // The service holds the directory open: it goes first, then the mount, then the files.
    await service?.cleanup();
    service = undefined;
    if (mountedOn) await runAsRoot('umount', [mountedOn]).catch(() => runAsRoot('umount', ['-l', mountedOn!]));
    mountedOn = undefined;
    if (parent) await rm(parent, { recursive: true, force: true });
    parent = undefined;
  });

  async function start(): Promise<string> {
    // realpath: /proc names the directory by its real path.
    parent = await realpath(await makeTempDir('visits-replaced-'));
    const dataDir = join(parent, 'data');
    await mkdir(dataDir);
    service = await startService({ dataDir });
    return dataDir;
  }

  test('deleted and made again: the next visit is fsynced in the new directory', async () => {
    const dataDir = await start();
    expect(await visit(service!)).toBe(1);
    await expectWriterHoldsLiveDirectory(service!, dataDir, 1);

    await rm(dataDir, { recursive: true });
    await mkdir(dataDir);
    expect(await visit(service!)).toBe(2);
    await expectWriterHoldsLiveDirectory(service!, dataDir, 2);
    expect(await readFile(join(dataDir, 'visits'), 'utf8')).toBe('2\n');
  });

  test('deleted, and made again only later: 503 meanwhile, nothing counted, then the new directory', async () => {
    const dataDir = await start();
    expect(await visit(service!)).toBe(1);
    await rm(dataDir, { recursive: true });
    const refused = await get(`${service!.url}/`);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('ENOENT');
    expect(await heldDataDirectories(service!, dataDir)).toEqual([]); // the deleted directory is let go

    await mkdir(dataDir);
    expect(await visit(service!)).toBe(2);
    await expectWriterHoldsLiveDirectory(service!, dataDir, 2);
  });

  test('a tmpfs mounted over it: the next visit is fsynced on the new volume', async () => {
    const dataDir = await start();
    for (let i = 1; i <= 3; i++) expect(await visit(service!)).toBe(i);
    await expectWriterHoldsLiveDirectory(service!, dataDir, 3);

    await runAsRoot('mount', ['-t', 'tmpfs', '-o', `size=1m,mode=0755,${tmpfsOwnerOptions()}`, 'tmpfs', dataDir]);
    mountedOn = dataDir;
    expect(await visit(service!)).toBe(4);
    await expectWriterHoldsLiveDirectory(service!, dataDir, 4);
    expect(await readFile(join(dataDir, 'visits'), 'utf8')).toBe('4\n');
  });
});
