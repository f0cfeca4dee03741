import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-root';
import { runCommand, type CommandResult } from './run-command';

/** A container engine CLI (docker or podman) and the arguments it always needs here. */
export interface Engine {
  name: 'docker' | 'podman';
  command: string;
  baseArgs: string[];
  env: NodeJS.ProcessEnv;
}

/** Kept beside the container suite: scripts/cluster-local names it too. */
export const PODMAN_CONF = join(REPO_ROOT, 'tests/container/containers.conf');

const INSTALL_HINT =
  'no usable container engine: install podman (Debian: apt-get install podman buildah runc uidmap fuse-overlayfs slirp4netns) ' +
  'or start a Docker daemon, or set CONTAINER_ENGINE';

function works(command: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  const result = spawnSync(command, args, { env, stdio: 'ignore', timeout: 20_000 });
  return result.status === 0;
}

function podman(command = 'podman'): Engine {
  // cgroupfs + runc: no systemd here; the config file empties default_ulimits.
  return {
    name: 'podman',
    command,
    baseArgs: ['--cgroup-manager=cgroupfs', '--runtime', 'runc'],
    env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? PODMAN_CONF },
  };
}

function docker(command = 'docker'): Engine {
  return { name: 'docker', command, baseArgs: [], env: { ...process.env } };
}

/**
 * CONTAINER_ENGINE (docker, podman or a path to either) wins; otherwise a Docker CLI whose daemon
 * answers, then podman. A docker client without a daemon (as on these machines) does not count.
 */
export function detectEngine(environment: NodeJS.ProcessEnv = process.env): Engine {
  const wanted = environment.CONTAINER_ENGINE;
  if (wanted) {
    const engine = /podman[^/]*$/.test(wanted) ? podman(wanted) : docker(wanted);
    if (!works(engine.command, [...engine.baseArgs, 'version'], engine.env)) {
      throw new Error(`CONTAINER_ENGINE=${wanted} does not run: ${INSTALL_HINT}`);
    }
    return engine;
  }
  const candidates = [docker(), podman()];
  const found = candidates.find((engine) => works(engine.command, [...engine.baseArgs, 'info'], engine.env));
  if (!found) throw new Error(INSTALL_HINT);
  return found;
}

/**
 * `run` arguments that start IMAGE the way the cluster runs the pod: detached, read-only root,
 * user 10001, every capability dropped, no new privileges, /tmp a tmpfs, the data volume at
 * /app/data; host network on a loopback port, since these machines cannot forward a published port.
 */
export function runLikeThePod(options: {
  name: string;
  volume: string;
  port: number;
  /** MONITOR_PORT: the probes and /metrics. */
  monitorPort: number;
  image: string;
  shutdownDelayMs: number;
}): string[] {
  const { name, volume, port, monitorPort, image, shutdownDelayMs } = options;
  return [
    ...['run', '--detach', '--name', name, '--read-only', '--user', '10001:10001', '--cap-drop', 'ALL'],
    ...['--security-opt', 'no-new-privileges', '--tmpfs', '/tmp:rw,size=16m,mode=1777', '--volume', `${volume}:/app/data`],
    ...['--network', 'host', '--env', 'HOST=127.0.0.1', '--env', `PORT=${port}`, '--env', `MONITOR_PORT=${monitorPort}`],
    ...['--env', 'POD_NAME=visits-0'],
    ...['--env', `SHUTDOWN_DELAY_MS=${shutdownDelayMs}`, image],
  ];
}

/** Runs the engine with `args`; rejects on a non-zero exit unless `allowFailure`. */
export async function run(
  engine: Engine,
  args: string[],
  options: { timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  const { timeoutMs = 60_000, allowFailure = false } = options;
  const result = await runCommand(engine.command, [...engine.baseArgs, ...args], { env: engine.env, timeoutMs });
  if (result.code !== 0 && !allowFailure) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-25).join('\n');
    throw new Error(`${engine.name} ${args.slice(0, 3).join(' ')} … exited ${result.code ?? 'by timeout'}:\n${tail}`);
  }
  return result;
}
