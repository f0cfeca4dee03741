import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPrometheusTools, INSTALL_HINT } from './support/prometheus-tools';

/** How the monitoring suites find promtool and prometheus, and how they fail when they cannot. */
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-tools-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function fakeTool(binDir: string, name: string): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const file = join(binDir, name);
  await writeFile(file, '#!/bin/sh\nexit 0\n');
  await chmod(file, 0o755);
  return file;
}

it('finds both tools on this machine (PATH or the project tools folder)', () => {
  const tools = findPrometheusTools();
  expect(tools.promtool).toMatch(/promtool$/);
  expect(tools.prometheus).toMatch(/prometheus$/);
});

it('prefers the project-local tools folder', async () => {
  const toolsDir = join(dir, 'local');
  const promtool = await fakeTool(join(toolsDir, 'usr', 'bin'), 'promtool');
  const prometheus = await fakeTool(join(toolsDir, 'usr', 'bin'), 'prometheus');
  expect(findPrometheusTools({ toolsDir, searchPath: [] })).toEqual({ promtool, prometheus });
});

it('fails with one line naming the package to install when nothing can provide them', async () => {
  const emptyBin = join(dir, 'empty-bin');
  await fakeTool(emptyBin, 'promtool'); // prometheus still missing, and no apt-get to fetch it
  let message = '';
  try {
    findPrometheusTools({ toolsDir: join(dir, 'none'), searchPath: [emptyBin] });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain(`prometheus not found: ${INSTALL_HINT}`);
  expect(message).not.toContain('\n');
});
