import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOutput, hasExited, stopChild } from './child-process';
import { REPO_ROOT } from './repo-root';
import { waitFor } from './wait-for';

/** The built service: `npm run build` writes it; every process-level suite runs this file. */
export const SERVICE_MAIN = join(REPO_ROOT, 'service/dist/main.js');

export interface StartOptions {
  /** Data directory; a fresh temporary one (removed by cleanup()) when omitted. */
  dataDir?: string;
  host?: string;
  port?: number;
  /** The monitoring listener's port (MONITOR_PORT: probes and /metrics); a free one when omitted. */
  monitorPort?: number;
  /** Extra environment; merged over a quiet default (LOG_LEVEL=warn, SHUTDOWN_DELAY_MS=0). */
  env?: NodeJS.ProcessEnv;
  /** Start inside this cgroup (its cgroup.procs file): a pod's memory limit, enforced by the kernel. */
  cgroupProcs?: string;
  /** Start with this command prefix, e.g. a network namespace's ['ip', 'netns', 'exec', name] (listen on its address). */
  prefix?: string[];
  /** Run as this uid/gid (root only): lets a root test runner meet real EACCES. */
  uid?: number;
  gid?: number;
  /** How long to wait for /health/startup (on the monitoring port) to answer 200. */
  readyTimeoutMs?: number;
  /** Another build of the service to run instead of SERVICE_MAIN (e.g. a deliberately broken copy). */
  main?: string;
  /** Enables PUT /visits with this token: written to a file of a temporary folder (removed by cleanup()), named by ADMIN_TOKEN_FILE. */
  adminToken?: string;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The monitoring listener: /health/live, /health/ready, /health/startup and /metrics are served there only. */
  readonly monitorUrl: string;
  readonly monitorPort: number;
  readonly dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has gone. */
  readonly exited: Promise<number | string>;
  /** Sends a signal and waits for the exit, killing it if it outlives `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
  /** Kills the process if alive and removes a temporary data directory this helper made. */
  cleanup(): Promise<void>;
}

/** Asks the OS for a port that is free now on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function makeTempDir(prefix = 'visits-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A test that drops privileges (to meet a real EACCES as root) needs a checkout that user can
 * read: a clone under /root or in a private `mktemp -d` folder is not. Say so, instead of the
 * service's own `Cannot find module …/main.js`.
 */
function assertReadableBy(main: string, user: { uid?: number; gid?: number }): void {
  if (user.uid === undefined) return;
  const probe = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(main)}, require('fs').constants.R_OK)`], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
    timeout: 10_000,
  });
  if (probe.status !== 0) {
    throw new Error(
      `user ${user.uid} cannot read ${main} (or run ${process.execPath}): this test runs the service as that user to meet real ` +
        'EACCES, so the checkout and node must be readable by other users; clone outside /root and private temporary folders, ' +
        'or give every parent directory o+rx',
    );
  }
}

/** Spawns a build of the service with only PATH and `env`, collecting everything it prints. */
function spawnService(main: string, env: NodeJS.ProcessEnv, user: { uid?: number; gid?: number; cgroupProcs?: string; prefix?: string[] }) {
  assertReadableBy(main, user);
  // A shell that moves itself into the cgroup and execs node keeps its PID (as `ip netns exec`
  // does): everything the service allocates is charged to the cgroup, and stop() signals node.
  // The cgroup comes first: `ip netns exec` mounts a sysfs of the namespace's own, without cgroups.
  const node = [...(user.prefix ?? []), process.execPath, main];
  const [command, ...args] = user.cgroupProcs ? ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', user.cgroupProcs, ...node] : node;
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: user.uid,
    gid: user.gid,
  });
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  return { child, output: collectOutput(child), exited };
}

/** Starts `node service/dist/main.js` and waits until its startup probe passes. */
export async function startService(options: StartOptions = {}): Promise<ServiceProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await makeTempDir('visits-data-'));
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  // In a network namespace of its own (prefix) every port is free, and freePort cannot look there: the pod's.
  const monitorPort = options.monitorPort ?? (options.prefix ? 8081 : await freePort(host));
  const tokenDir = options.adminToken === undefined ? undefined : await makeTempDir('visits-token-');
  if (tokenDir) {
    // Readable by others: a test may run the service as another user (uid).
    await chmod(tokenDir, 0o755);
    await writeFile(join(tokenDir, 'admin-token'), `${options.adminToken}\n`, { mode: 0o644 });
  }
  const { child, output, exited } = spawnService(
    options.main ?? SERVICE_MAIN,
    {
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: '0',
      POD_NAME: 'visits-test',
      ...(tokenDir ? { ADMIN_TOKEN_FILE: join(tokenDir, 'admin-token') } : {}),
      ...options.env,
      HOST: host,
      PORT: String(port),
      MONITOR_PORT: String(monitorPort),
      DATA_DIR: dataDir,
    },
    options,
  );
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostInUrl}:${port}`;
  const monitorUrl = `http://${hostInUrl}:${monitorPort}`;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | string> => {
    await stopChild(child, { signal, timeoutMs });
    return exited;
  };
  const service: ServiceProcess = {
    child,
    url,
    host,
    port,
    monitorUrl,
    monitorPort,
    dataDir,
    output,
    exited,
    stop,
    async cleanup() {
      await stop('SIGKILL');
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
      if (tokenDir) await rm(tokenDir, { recursive: true, force: true });
    },
  };

  // A bound, not a speed check (the bench measures start-up): with more Jest workers than cores,
  // each compiling TypeScript, a start took over 15 s here (--maxWorkers=4 on 2 cores).
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  // Ready, or exited: either ends the wait (a fetch that fails means not listening yet).
  const outcome = await waitFor('the startup probe', { timeoutMs: readyTimeoutMs, everyMs: 50 }, async () => {
    if (hasExited(child)) return 'exited';
    const response = await fetch(`${monitorUrl}/health/startup`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200 ? 'ready' : undefined;
  }).catch(() => 'timed out');
  if (outcome === 'ready') return service;
  await service.cleanup();
  if (outcome === 'exited') throw new Error(`service exited (${await exited}) before it was ready:\n${output()}`);
  throw new Error(`service not ready within ${readyTimeoutMs} ms:\n${output()}`);
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export async function runToExit(
  env: NodeJS.ProcessEnv,
  timeoutMs = 15_000,
  user: { uid?: number; gid?: number } = {},
): Promise<{ code: number | string; output: string }> {
  const { child, output, exited } = spawnService(SERVICE_MAIN, env, user);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: output() };
}
