/**
 * Container smoke test: builds service/Dockerfile with docker or podman and runs the image the
 * way the cluster does (read-only root, user 10001, a volume at /app/data, /tmp a tmpfs, all
 * capabilities dropped). Checks routes and probes, a graceful SIGTERM stop with the count
 * flushed, a second container on the same volume keeping the count, and reports the size.
 *
 * Environment: CONTAINER_ENGINE (docker|podman|path), CONTAINER_BASE_IMAGE (an image to use as
 * NODE_IMAGE, or "default" for the Dockerfile's own; unset: a base built from the pinned Node.js,
 * node_modules/.bin/node, by scripts/build-image.mjs). Either way it must run the pinned version.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PINNED_NODE_VERSION } from '../support/pinned-node';
import { freePort } from '../support/service-process';
import { detectEngine, run, runLikeThePod, type Engine } from '../support/container-engine';
import { runCommand } from '../support/run-command';
import { waitFor } from '../support/wait-for';
import { REPO_ROOT } from '../support/repo-root';

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `localhost/visits-smoke:${RUN_ID}`;
const VOLUME = `visits-smoke-data-${RUN_ID}`;
const VERSION = '0.0.0-smoke';
const COMMIT = 'c0ffee0000000000000000000000000000000000';
const GRACE_SECONDS = 30; // terminationGracePeriodSeconds in the cluster
const SHUTDOWN_DELAY_MS = 1000;

jest.setTimeout(60_000);

let engine: Engine;
const containers: string[] = [];
const images: string[] = [];
let volumeMade = false;

/** Starts a container like the pod; resolves with its API and monitoring (probes, /metrics) URLs. */
async function startContainer(name: string): Promise<{ url: string; monitorUrl: string }> {
  containers.push(name);
  const [port, monitorPort] = [await freePort(), await freePort()];
  await run(engine, runLikeThePod({ name, volume: VOLUME, port, monitorPort, image: IMAGE, shutdownDelayMs: SHUTDOWN_DELAY_MS }));
  const url = `http://127.0.0.1:${port}`;
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  await waitFor(
    `container ${name} to start`,
    {
      timeoutMs: 30_000,
      everyMs: 200,
      describe: async () => {
        const logs = await run(engine, ['logs', name], { allowFailure: true });
        return `${logs.stdout}${logs.stderr}`;
      },
    },
    async () => (await fetch(`${monitorUrl}/health/startup`, { signal: AbortSignal.timeout(1000) })).status === 200,
  );
  return { url, monitorUrl };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function exec(name: string, command: string[]): Promise<{ code: number | null; out: string }> {
  const result = await run(engine, ['exec', name, ...command], { allowFailure: true });
  return { code: result.code, out: result.stdout + result.stderr };
}

beforeAll(async () => {
  engine = detectEngine(); // throws one line naming what to install when there is none
  // scripts/build-image.mjs: the one way this repository builds the image without a registry
  // (a Node.js base made from the pinned node unless CONTAINER_BASE_IMAGE names one).
  const baseChoice = process.env.CONTAINER_BASE_IMAGE;
  const started = Date.now();
  images.push(IMAGE);
  const build = await runCommand(
    process.execPath,
    [
      join(REPO_ROOT, 'scripts/build-image.mjs'),
      '--tag',
      IMAGE,
      '--version',
      VERSION,
      '--commit',
      COMMIT,
      ...(baseChoice ? ['--base', baseChoice] : []),
      '--',
      engine.command,
      ...engine.baseArgs,
    ],
    { env: engine.env, timeoutMs: 420_000 },
  );
  if (build.code !== 0) throw new Error(`scripts/build-image.mjs exited ${build.code}:\n${build.stderr.slice(-4000)}`);
  console.log(`container smoke: ${engine.name} built ${IMAGE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await run(engine, ['volume', 'create', VOLUME]);
  volumeMade = true;
}, 480_000);

afterAll(async () => {
  if (!engine) return;
  for (const name of containers) await run(engine, ['rm', '--force', name], { allowFailure: true });
  if (volumeMade) await run(engine, ['volume', 'rm', '--force', VOLUME], { allowFailure: true });
  for (const image of images.reverse()) await run(engine, ['rmi', '--force', image], { allowFailure: true });
}, 120_000);

describe('the visits image', () => {
  it('carries OCI labels, a numeric non-root user, the version env and no dev dependencies; reports its size', async () => {
    const inspect = await run(engine, ['image', 'inspect', IMAGE]);
    const [image] = JSON.parse(inspect.stdout) as Array<Record<string, unknown>>;
    const config = (image.Config ?? (image as { config?: Record<string, unknown> }).config) as Record<string, unknown>;
    const labels = (config.Labels ?? {}) as Record<string, string>;
    expect(labels['org.opencontainers.image.revision']).toBe(COMMIT);
    expect(labels['org.opencontainers.image.version']).toBe(VERSION);
    expect(labels['org.opencontainers.image.source']).toMatch(/^https:\/\/github\.com\//);
    expect(config.User).toBe('10001:10001');
    expect(config.WorkingDir).toBe('/app');
    expect(config.Env).toEqual(expect.arrayContaining([`APP_VERSION=${VERSION}`, `APP_COMMIT=${COMMIT}`, 'NODE_ENV=production']));

    const size = Number(image.Size);
    console.log(`container smoke: image size ${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes)`);
    expect(size).toBeGreaterThan(0);

    const probe = await run(
      engine,
      [
        'run',
        '--rm',
        '--read-only',
        '--network',
        'none',
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        "const fs=require('fs');console.log(JSON.stringify({ts:fs.existsSync('node_modules/typescript'),jest:fs.existsSync('node_modules/jest'),nest:fs.existsSync('node_modules/@nestjs/core'),uid:process.getuid(),node:process.versions.node}))",
      ],
      { timeoutMs: 60_000 },
    );
    // The image runs the Node.js the tests ran on, with either base (the Dockerfile's or the local one).
    expect(JSON.parse(probe.stdout.trim())).toEqual({ ts: false, jest: false, nest: true, uid: 10001, node: PINNED_NODE_VERSION });
  });

  it('serves the API read-only as user 10001, stops on SIGTERM with the count flushed, and a new container keeps it', async () => {
    const first = `visits-smoke-a-${RUN_ID}`;
    const { url, monitorUrl } = await startContainer(first);

    for (const probe of ['live', 'ready', 'startup']) {
      const { status, body } = await getJson(`${monitorUrl}/health/${probe}`);
      expect({ probe, status, ok: body.status }).toEqual({ probe, status: 200, ok: 'ok' });
    }
    for (let n = 1; n <= 3; n++) expect((await getJson(`${url}/`)).body).toEqual({ visits: n, pod: 'visits-0' });
    expect((await getJson(`${url}/visits`)).body).toMatchObject({ visits: 3 });
    expect((await getJson(`${url}/version`)).body).toEqual({ version: VERSION, commit: COMMIT });
    const metrics = await (await fetch(`${monitorUrl}/metrics`)).text();
    expect(metrics).toContain(`visits_build_info{version="${VERSION}",commit="${COMMIT}"} 1`);

    // What an operator does in the cluster: kubectl exec pod/visits-0 -- cat data/visits
    expect(await exec(first, ['cat', 'data/visits'])).toEqual({ code: 0, out: '3\n' });
    // node itself is PID 1, so it is the process that receives SIGTERM.
    expect((await exec(first, ['cat', '/proc/1/cmdline'])).out.split('\0').slice(0, 2)).toEqual(['node', 'dist/main.js']);
    const write = await exec(first, ['node', '-e', "require('fs').writeFileSync('/app/dist/x', 'x')"]);
    expect(write.code).not.toBe(0);
    expect(write.out).toMatch(/EROFS/);
    expect(await exec(first, ['node', '-e', "require('fs').writeFileSync('/tmp/x', 'x')"])).toEqual({ code: 0, out: '' });

    // `stop` sends the image's STOPSIGNAL (SIGTERM) and only kills after the grace period.
    const stopStarted = Date.now();
    await run(engine, ['stop', '--time', String(GRACE_SECONDS), first], { timeoutMs: (GRACE_SECONDS + 15) * 1000 });
    const stopSeconds = (Date.now() - stopStarted) / 1000;
    const state = await run(engine, ['inspect', '--format', '{{.State.ExitCode}}', first]);
    const logs = await run(engine, ['logs', first]);
    console.log(`container smoke: SIGTERM to exit took ${stopSeconds.toFixed(1)} s (shutdown delay ${SHUTDOWN_DELAY_MS} ms)`);
    expect(state.stdout.trim()).toBe('0');
    expect(stopSeconds).toBeLessThan(GRACE_SECONDS);
    expect(logs.stdout).toContain('shutdown complete');

    const second = `visits-smoke-b-${RUN_ID}`;
    const { url: url2 } = await startContainer(second);
    expect((await getJson(`${url2}/visits`)).body).toMatchObject({ visits: 3 });
    expect((await getJson(`${url2}/`)).body).toEqual({ visits: 4, pod: 'visits-0' });
    expect(await exec(second, ['cat', 'data/visits'])).toEqual({ code: 0, out: '4\n' });
    await run(engine, ['stop', '--time', String(GRACE_SECONDS), second], { timeoutMs: (GRACE_SECONDS + 15) * 1000 });
  }, 150_000);
});
