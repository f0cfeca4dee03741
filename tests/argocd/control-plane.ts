import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectOutput, hasExited, stopChild } from '../support/child-process';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';
import { freePort } from '../support/service-process';
import { waitFor } from '../support/wait-for';

/**
 * A private Kubernetes control plane for one test file, from tools/etcd and tools/kubernetes:
 * etcd, kube-apiserver and kube-controller-manager running the StatefulSet controller only, on
 * free loopback ports, in a temporary directory. No scheduler and no nodes: pods stay Pending
 * until a test writes their status, which is all a StatefulSet's own status depends on.
 * Not the local cluster (tests/cluster): nothing here is shared or outlives the file.
 */
export class ControlPlane {
  private readonly processes: { name: string; child: ChildProcess; output: () => string }[] = [];

  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    private readonly kubeconfig: string,
  ) {}

  static async start(): Promise<ControlPlane> {
    const bin = execFileSync('bash', [join(REPO_ROOT, 'tools/build.sh'), 'kubernetes', 'etcd'], {
      encoding: 'utf8',
      timeout: 1_800_000,
    }).trim();
    const dir = mkdtempSync(join(tmpdir(), 'visits-control-plane-'));
    const [etcdClient, etcdPeer, apiserver] = [await freePort(), await freePort(), await freePort()];
    // One bearer token for everyone, in system:masters: this API server is the test's alone.
    writeFileSync(join(dir, 'tokens.csv'), 'test-token,test,1,"system:masters"\n');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: `https://127.0.0.1:${apiserver}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'test', user: { token: 'test-token' } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
        'current-context': 'test',
      }),
    );
    const plane = new ControlPlane(bin, dir, kubeconfig);
    try {
      const peer = `http://127.0.0.1:${etcdPeer}`;
      plane.run('etcd', [
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
      ]);
      plane.run('kube-apiserver', [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${apiserver}`,
        `--cert-dir=${join(dir, 'certs')}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.250.0.0/24',
      ]);
      await waitFor('kube-apiserver ready', { timeoutMs: 120_000, describe: async () => plane.logs() }, async () => {
        plane.checkAlive();
        return (await runCommand(join(bin, 'kubectl'), ['get', '--raw=/readyz'], { env: plane.env() })).code === 0;
      });
      plane.run('kube-controller-manager', [
        `--kubeconfig=${kubeconfig}`,
        '--controllers=statefulset',
        '--leader-elect=false',
        '--secure-port=0',
      ]);
      // Without the service-account controllers, the namespace's default account is made by hand.
      await waitFor('the default namespace', 60_000, async () => (await plane.kubectl(['create', 'serviceaccount', 'default']), true));
      return plane;
    } catch (err) {
      await plane.stop();
      throw err;
    }
  }

  /** Runs kubectl against this control plane; rejects with its stderr on failure. */
  async kubectl(args: string[], input?: string): Promise<string> {
    const result = await runCommand(join(this.bin, 'kubectl'), args, { env: this.env(), input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  async stop(): Promise<void> {
    for (const { child } of [...this.processes].reverse()) await stopChild(child, { timeoutMs: 10_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }

  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir, KUBECONFIG: this.kubeconfig };
  }

  private run(name: string, args: string[]): void {
    const child = spawn(join(this.bin, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push({ name, child, output: collectOutput(child) });
  }

  private checkAlive(): void {
    const dead = this.processes.find((p) => hasExited(p.child));
    if (dead) throw new Error(`${dead.name} exited:\n${dead.output().slice(-2000)}`);
  }

  /** The last lines of each process, for a failure message. */
  logs(): string {
    return this.processes.map((p) => `--- ${p.name}\n${p.output().slice(-1500)}`).join('\n');
  }
}
