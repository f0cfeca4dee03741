/**
 * The local cluster as the tests use it: the way a person does, through `npm run cluster:local`
 * (`up`, then the shell lines `env` prints), kubectl, git and argocd-server's HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root';
import { runCommand, runOrThrow, type CommandResult } from '../../support/run-command';
import { waitFor } from '../../support/wait-for';

const MAIN = join(REPO_ROOT, 'scripts/cluster-local/main.sh');

/** `up` builds nothing here (npm test built the tools first); it starts and bootstraps. */
const UP_TIMEOUT_MS = 10 * 60_000;

let env: NodeJS.ProcessEnv | undefined;

/** Brings the cluster up (idempotent) and returns the environment `env` prints. */
export async function clusterUp(): Promise<NodeJS.ProcessEnv> {
  if (env) return env;
  const up = await runCommand('bash', [MAIN, 'up'], { timeoutMs: UP_TIMEOUT_MS });
  if (up.code !== 0) throw new Error(`npm run cluster:local -- up failed (exit ${up.code}):\n${(up.stdout + up.stderr).slice(-6000)}`);
  const stdout = await runOrThrow('bash', [MAIN, 'env']);
  env = { ...process.env };
  for (const line of stdout.split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2].replace(/^'(.*)'$/, '$1').replace('$PATH', process.env.PATH ?? '');
    env[match[1]] = value;
  }
  return env;
}

function requireEnv(): NodeJS.ProcessEnv {
  if (!env) throw new Error('clusterUp() first');
  return env;
}

/** kubectl from the cluster's own build, as the admin; never throws, the caller asserts. */
export async function kubectlResult(args: string[], input?: string): Promise<CommandResult> {
  return runCommand('kubectl', args, { env: requireEnv(), input });
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await kubectlResult(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kubernetes objects, read field by field
export type Obj = any;

export async function get(kind: string, name: string, namespace = 'visits'): Promise<Obj> {
  return JSON.parse(await kubectl(['-n', namespace, 'get', kind, name, '-o', 'json']));
}

export async function list(kind: string, namespace = 'visits', selector?: string): Promise<Obj[]> {
  const args = ['-n', namespace, 'get', kind, '-o', 'json', ...(selector ? ['-l', selector] : [])];
  return JSON.parse(await kubectl(args)).items;
}

/** `kubectl exec` into the visits container of POD; the command's stdout. */
export async function exec(pod: string, ...command: string[]): Promise<string> {
  return kubectl(execArgs(pod, command));
}

const execArgs = (pod: string, command: string[]): string[] => ['-n', 'visits', 'exec', pod, '-c', 'visits', '--', ...command];

/**
 * The count a replica keeps on its volume, read as the seed lab reads it: cat data/visits. A
 * replica that has never counted a visit has no file yet (docs/architecture.md#the-data-file): 0.
 */
export async function countOnDisk(pod: string): Promise<number> {
  const result = await kubectlResult(execArgs(pod, ['cat', 'data/visits']));
  if (result.code !== 0 && /No such file or directory/.test(result.stderr)) return 0;
  if (result.code !== 0) throw new Error(`kubectl exec ${pod} -- cat data/visits failed: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}

/** Node.js inside a visits container: the image has no shell tools, so probes from a pod use node. */
export async function nodeIn(pod: string, script: string): Promise<string> {
  return (await exec(pod, 'node', '-e', script)).trim();
}

/**
 * The host PID of POD's visits container, as its node's containerd reports it: every node's
 * containerd listens on /run/visits-cluster/<node>/containerd.sock (cluster:local's kubelets.sh).
 */
export async function containerPid(pod: string): Promise<number> {
  const p = await get('pod', pod);
  const id = String(p.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');
  const socket = `/run/visits-cluster/${p.spec.nodeName}/containerd.sock`;
  const tasks = await runCommand('ctr', ['--address', socket, '--namespace', 'k8s.io', 'tasks', 'ls'], { env: requireEnv() });
  const line = tasks.stdout.split('\n').find((l) => l.startsWith(id));
  if (!line) throw new Error(`no task ${id} of ${pod} in ${socket}:\n${tasks.stdout}${tasks.stderr}`);
  return Number(line.split(/\s+/)[1]);
}

/** For the suites that need pods that really run the image; kwok nodes run nothing. */
export function requireRealNodes(): void {
  if (requireEnv().VISITS_CLUSTER_NODES !== 'real') {
    throw new Error('this suite needs real nodes: run it against `npm run cluster:local -- up` without VISITS_CLUSTER_NODES=kwok');
  }
}

export const application = (name: string): Promise<Obj> => get('applications.argoproj.io', name, 'argocd');

/**
 * Waits until the StatefulSet has rolled every replica to `digest`: revisions settled, three
 * updated and Ready, none being deleted, and (given `before`, name → UID) each a new pod.
 * Returns the pods.
 */
export async function waitRolledTo(digest: string, timeoutMs: number, before?: Map<string, string>): Promise<Obj[]> {
  return waitFor(
    `every replica on ${digest.slice(0, 19)}…, Ready`,
    { timeoutMs: timeoutMs, describe: async () => JSON.stringify((await get('statefulset', 'visits')).status, null, 2) },
    async () => {
      const sts = await get('statefulset', 'visits');
      const pods = await list('pods', 'visits', 'app.kubernetes.io/name=visits');
      const rolled =
        sts.status.updateRevision === sts.status.currentRevision &&
        sts.status.updatedReplicas === 3 &&
        sts.status.readyReplicas === 3 &&
        pods.length === 3 &&
        pods.every(
          (p: Obj) =>
            p.spec.containers[0].image.endsWith(`@${digest}`) &&
            !p.metadata.deletionTimestamp &&
            before?.get(p.metadata.name) !== p.metadata.uid,
        );
      return rolled ? pods : undefined;
    },
  );
}

/** What an Application shows a person: sync, health, revision, conditions, last operation. */
export async function describeApp(name: string): Promise<string> {
  const app = await application(name);
  return JSON.stringify(
    {
      sync: app.status?.sync,
      health: app.status?.health,
      conditions: app.status?.conditions,
      // Every resource that is not Synced and Healthy, as the UI lists it.
      resources: (app.status?.resources ?? [])
        .filter((r: Obj) => r.status !== 'Synced' || (r.health && r.health.status !== 'Healthy'))
        .map(
          (r: Obj) =>
            `${r.kind}/${r.name} ${r.status}${r.health ? ` ${r.health.status}${r.health.message ? `: ${r.health.message}` : ''}` : ''}`,
        ),
      operation: app.status?.operationState && {
        phase: app.status.operationState.phase,
        message: app.status.operationState.message,
        revision: app.status.operationState.syncResult?.revision,
      },
    },
    null,
    2,
  );
}

export async function waitSyncedHealthy(name: string, revision?: string, timeoutMs = 180_000): Promise<Obj> {
  return waitFor(
    `Application ${name} Synced and Healthy${revision ? ` at ${revision.slice(0, 12)}` : ''}`,
    { timeoutMs: timeoutMs, describe: () => describeApp(name) },
    async () => {
      const app = await application(name);
      const ok =
        app.status?.sync?.status === 'Synced' &&
        app.status?.health?.status === 'Healthy' &&
        (!revision || app.status?.sync?.revision === revision) &&
        app.status?.operationState?.phase !== 'Running';
      return ok ? app : undefined;
    },
  );
}

/**
 * What every cluster test file starts with: the cluster up (the first file brings it up) and
 * visits Synced and Healthy. Each test waits on real controllers; its own waits are bounded
 * more tightly than the per-test limit set here.
 */
export function useCluster(): void {
  jest.setTimeout(10 * 60_000);
  beforeAll(
    async () => {
      await clusterUp();
      await waitSyncedHealthy('visits');
    },
    UP_TIMEOUT_MS + 5 * 60_000,
  );
}

/** A clone of the remote for this file's tests, removed after them; call after useCluster(). */
export function useCheckout(): () => Checkout {
  let checkout: Checkout | undefined;
  beforeAll(async () => {
    checkout = await Checkout.clone();
  });
  afterAll(async () => {
    await checkout?.remove();
  });
  return () => {
    if (!checkout) throw new Error('the checkout is made in beforeAll');
    return checkout;
  };
}

/** A clone of the remote Argo CD watches, to commit to and push as a person or CI does. */
export class Checkout {
  private constructor(readonly dir: string) {}

  static async clone(): Promise<Checkout> {
    const dir = await mkdtemp(join(tmpdir(), 'visits-checkout-'));
    await runOrThrow('git', ['clone', '--quiet', requireEnv().VISITS_GIT_REMOTE!, dir]);
    await runOrThrow('git', ['-C', dir, 'config', 'user.name', 'cluster test']);
    await runOrThrow('git', ['-C', dir, 'config', 'user.email', 'cluster-test@visits.invalid']);
    return new Checkout(dir);
  }

  path(relative: string): string {
    return join(this.dir, relative);
  }

  async git(...args: string[]): Promise<string> {
    return runOrThrow('git', ['-C', this.dir, ...args], { env: requireEnv() });
  }

  /** Runs one of this repository's scripts in the checkout, as a workflow step would. */
  async node(script: string, ...args: string[]): Promise<string> {
    return runOrThrow(process.execPath, [join(REPO_ROOT, script), ...args], { cwd: this.dir });
  }

  /**
   * A digest to deploy that differs from the one the checkout pins. Real nodes hold two builds of
   * the service image (cluster:local's images.sh): the other one. kwok nodes run no image, so any
   * well-formed digest will do.
   */
  async otherDigest(): Promise<string> {
    const current = (await this.node('scripts/image-digest.mjs', 'get', 'apps/visits/envs/dev')).trim();
    const { VISITS_IMAGE_DIGEST: first, VISITS_IMAGE_NEXT_DIGEST: next } = requireEnv();
    if (first && next) return current === next ? first : next;
    return `sha256:${randomBytes(32).toString('hex')}`;
  }

  /** Commits everything changed and pushes to main; returns the new commit. */
  async commitAndPush(message: string): Promise<string> {
    await this.git('commit', '--quiet', '-am', message);
    await this.git('push', '--quiet', 'origin', 'HEAD:main');
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** argocd-server's HTTP API, logged in as admin with the initial password, as the UI is. */
export class ArgoApi {
  private constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  static async login(): Promise<ArgoApi> {
    const base = `http://${requireEnv().ARGOCD_SERVER}`;
    const secret = await get('secret', 'argocd-initial-admin-secret', 'argocd');
    const password = Buffer.from(secret.data.password, 'base64').toString();
    const response = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    if (!response.ok) throw new Error(`POST /api/v1/session: HTTP ${response.status} ${await response.text()}`);
    const { token } = (await response.json()) as { token: string };
    return new ArgoApi(base, token);
  }

  async call(method: string, path: string, body?: unknown): Promise<Obj> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }
}
