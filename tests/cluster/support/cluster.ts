/**
 * The cluster as the tests use it: the way a person does, through kubectl, git and argocd-server's
 * HTTP API, with the cluster's address and the few facts no API gives in the environment
 * (docs/local-cluster.md#the-test-contract). By default the tests bring up the local cluster
 * (`npm run cluster:local -- up`, then the shell lines `env` prints); with VISITS_CLUSTER=external
 * they take a cluster someone else brought up, such as CI's kind cluster (scripts/cluster-kind.sh).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support/repo-root';
import { runCommand, runOrThrow, type CommandResult } from '../../support/run-command';
import { waitFor } from '../../support/wait-for';

const MAIN = join(REPO_ROOT, 'scripts/cluster-local/main.sh');

/** `up` builds nothing here (npm test built the tools first); it starts and bootstraps. */
const UP_TIMEOUT_MS = 10 * 60_000;

/**
 * What a cluster the tests did not start must say about itself. Every name is printed by
 * `cluster:local -- env` and by `scripts/cluster-kind.sh env`.
 */
export const CONTRACT = [
  'KUBECONFIG', // the admin's kubeconfig; its current context is the cluster
  'VISITS_GIT_REMOTE', // a git URL the tests push to, and Argo CD watches (its push webhook wired)
  'ARGOCD_SERVER', // host:port of argocd-server's plain-HTTP API
  'ARGOCD_METRICS', // host:port of the application controller's metrics (what the chart's ServiceMonitor scrapes)
  'VISITS_TOOLS_BIN', // the pinned tools (kubectl, prometheus, kube-state-metrics, ...): tools/build.sh
  'VISITS_CLUSTER_NODES', // real (kubelets run the image) or kwok
  'VISITS_NODE_EXEC', // how a command runs on a node: host (nodes are host processes) or docker (kind)
  'VISITS_CONTAINERD_SOCKET', // a node's containerd socket, as seen on the node; {node} is its name
  'VISITS_CLUSTER_OFFLINE', // 1 when the cluster cannot reach the internet (Argo CD cannot fetch charts)
] as const;

let env: NodeJS.ProcessEnv | undefined;

/** Brings the cluster up (idempotent) and returns the environment that describes it. */
export async function clusterUp(): Promise<NodeJS.ProcessEnv> {
  if (env) return env;
  if (process.env.VISITS_CLUSTER === 'external') return (env = externalCluster(process.env));
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

/** The environment as given, once every name of the contract is in it: none is guessed. */
export function externalCluster(given: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const missing: string[] = CONTRACT.filter((name) => !given[name]);
  if (given.VISITS_CLUSTER_NODES === 'real' && !(given.VISITS_IMAGE_DIGEST && given.VISITS_IMAGE_NEXT_DIGEST)) {
    missing.push('VISITS_IMAGE_DIGEST and VISITS_IMAGE_NEXT_DIGEST (two builds of the service image the nodes hold)');
  }
  if (missing.length > 0) {
    throw new Error(`VISITS_CLUSTER=external, but the environment lacks ${missing.join(', ')} (docs/local-cluster.md#the-test-contract)`);
  }
  if (!['host', 'docker'].includes(given.VISITS_NODE_EXEC!)) {
    throw new Error(`VISITS_NODE_EXEC must be host or docker, not ${given.VISITS_NODE_EXEC}`);
  }
  return { ...given, PATH: `${given.VISITS_TOOLS_BIN}:${given.PATH ?? ''}` };
}

function requireEnv(): NodeJS.ProcessEnv {
  if (!env) throw new Error('clusterUp() first');
  return env;
}

/** The environment that describes the cluster (the contract's names among it), after clusterUp(). */
export const clusterEnv = requireEnv;

/**
 * Runs a command on NODE, as its own root: on the host for the local cluster (its nodes are host
 * processes), in the node's container for kind. Never throws; the caller asserts.
 */
export async function onNode(node: string, command: string[]): Promise<CommandResult> {
  const e = requireEnv();
  if (e.VISITS_NODE_EXEC === 'docker') return runCommand('docker', ['exec', node, ...command], { env: e });
  return runCommand(command[0], command.slice(1), { env: e });
}

async function onNodeOrThrow(node: string, command: string[]): Promise<string> {
  const result = await onNode(node, command);
  if (result.code !== 0) throw new Error(`on ${node}: ${command.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** The current context's name, API server and client credentials, as files a client can read. */
export async function apiAccess(): Promise<{
  context: string;
  server: string;
  tls: { ca_file: string; cert_file: string; key_file: string };
}> {
  const path = requireEnv().KUBECONFIG!;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kubeconfig, read field by field
  const config: any = parse(await readFile(path, 'utf8'));
  const context = config['current-context'];
  const named = (list: Obj[], name: string) => list.find((item) => item.name === name);
  const ctx = named(config.contexts, context).context;
  const cluster = named(config.clusters, ctx.cluster).cluster;
  const user = named(config.users, ctx.user).user;
  // kind embeds the certificates (…-data); the local cluster names files.
  const dir = await mkdtemp(join(tmpdir(), 'visits-kubeconfig-'));
  const file = async (pathField: string | undefined, data: string | undefined, name: string): Promise<string> => {
    if (pathField) return pathField;
    const target = join(dir, name);
    await writeFile(target, Buffer.from(data ?? '', 'base64'), { mode: 0o600 });
    return target;
  };
  return {
    context,
    server: cluster.server,
    tls: {
      ca_file: await file(cluster['certificate-authority'], cluster['certificate-authority-data'], 'ca.crt'),
      cert_file: await file(user['client-certificate'], user['client-certificate-data'], 'client.crt'),
      key_file: await file(user['client-key'], user['client-key-data'], 'client.key'),
    },
  };
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

/** POD's visits container as its node's containerd knows it: the node, and the PID there. */
export async function containerTask(pod: string): Promise<{ node: string; pid: number }> {
  const p = await get('pod', pod);
  const id = String(p.status.containerStatuses[0].containerID).replace(/^containerd:\/\//, '');
  const node: string = p.spec.nodeName;
  const socket = requireEnv().VISITS_CONTAINERD_SOCKET!.replace('{node}', node);
  const tasks = await onNodeOrThrow(node, ['ctr', '--address', socket, '--namespace', 'k8s.io', 'tasks', 'ls']);
  const line = tasks.split('\n').find((l) => l.startsWith(id));
  if (!line) throw new Error(`no task ${id} of ${pod} in ${socket} on ${node}:\n${tasks}`);
  return { node, pid: Number(line.split(/\s+/)[1]) };
}

/** Sends SIGNAL (STOP, CONT, KILL) to a container's process, by PID, on its node; the kill's result. */
export async function signalTask(task: { node: string; pid: number }, signal: string): Promise<CommandResult> {
  return onNode(task.node, ['kill', '-s', signal, String(task.pid)]);
}

/** The directory on its node that holds POD's data volume (hostPath or local PersistentVolumes). */
export async function volumeDir(pod: string): Promise<{ node: string; dir: string }> {
  const p = await get('pod', pod);
  const claim = p.spec.volumes.find((v: Obj) => v.name === 'data').persistentVolumeClaim.claimName;
  const volume = await get('pv', (await get('pvc', claim)).spec.volumeName, '');
  const dir = volume.spec.hostPath?.path ?? volume.spec.local?.path;
  if (!dir) throw new Error(`PersistentVolume ${volume.metadata.name} is neither hostPath nor local: ${JSON.stringify(volume.spec)}`);
  return { node: p.spec.nodeName, dir };
}

/** chmod on the node that holds the directory. */
export async function chmodOnNode(where: { node: string; dir: string }, mode: string): Promise<void> {
  await onNodeOrThrow(where.node, ['chmod', mode, where.dir]);
}

/** For the suites that need pods that really run the image; kwok nodes run nothing. */
export function requireRealNodes(): void {
  if (requireEnv().VISITS_CLUSTER_NODES !== 'real') {
    throw new Error('this suite needs real nodes: run it against `npm run cluster:local -- up` without VISITS_CLUSTER_NODES=kwok');
  }
}

/**
 * The worker nodes (those without the control-plane taint) by zone label. Both clusters label
 * three workers zone-a, zone-b and zone-c; their names differ (worker-a here, visits-worker on kind).
 */
export async function workersByZone(): Promise<Record<string, string>> {
  const nodes = await list('nodes', '');
  const isWorker = (n: Obj) => !(n.spec.taints ?? []).some((t: Obj) => t.key === 'node-role.kubernetes.io/control-plane');
  return Object.fromEntries(nodes.filter(isWorker).map((n) => [n.metadata.labels['topology.kubernetes.io/zone'], n.metadata.name]));
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
