/**
 * scripts/smoke.mjs must FAIL when a cluster breaks the seed lab's promises. That it passes is
 * shown on the real local cluster (tests/cluster/10-seed-lab.test.ts); the faults below (a pod
 * that comes back without its count, a headless name that leads to the wrong pod) cannot be made
 * on demand there, so these two tests use a STAND-IN `kubectl` (tests/pipeline/fake-cluster):
 * every "pod" behind it is a real visits service process with its own data directory, and the
 * stand-in injects exactly one fault.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../support/run-command';
import { freePort, makeTempDir, SERVICE_MAIN, startService, type ServiceProcess } from '../support/service-process';
import { REPO_ROOT } from '../support/repo-root';

const FAKE_BIN = join(__dirname, 'fake-cluster');

interface FakePod {
  name: string;
  ip: string;
  port: number;
  /** The monitoring listener (probes), as MONITOR_PORT. */
  monitorPort: number;
  dataDir: string;
  pid: number;
  uid: string;
  pvcUid: string;
}

let dir: string;
let services: ServiceProcess[] = [];
let stateFile: string;

function runSmoke(env: NodeJS.ProcessEnv): Promise<CommandResult> {
  return runCommand(process.execPath, [join(REPO_ROOT, 'scripts/smoke.mjs'), '--context', 'fake', '--requests', '30', '--timeout', '20'], {
    env: { ...process.env, PATH: `${FAKE_BIN}:${process.env.PATH}`, FAKE_CLUSTER_STATE: stateFile, ...env },
    timeoutMs: 90_000,
  });
}

beforeEach(async () => {
  dir = await makeTempDir('visits-fake-cluster-');
  stateFile = join(dir, 'state.json');
  // A loopback /24 of its own, so parallel suites binding 127.0.0.x are not in the way.
  const net = `127.${100 + Math.floor(Math.random() * 150)}.${1 + Math.floor(Math.random() * 250)}`;
  const pods: FakePod[] = [];
  for (let i = 0; i < 3; i++) {
    const ip = `${net}.${11 + i}`;
    const dataDir = join(dir, `data-visits-${i}`);
    await mkdir(dataDir);
    const service = await startService({ host: ip, port: await freePort(ip), dataDir, env: { POD_NAME: `visits-${i}` } });
    services.push(service);
    pods.push({
      name: `visits-${i}`,
      ip,
      port: service.port,
      monitorPort: service.monitorPort,
      dataDir,
      pid: service.child.pid!,
      uid: `uid-${i}`,
      pvcUid: `pvc-${i}`,
    });
  }
  await writeFile(stateFile, JSON.stringify({ context: 'fake', serviceMain: SERVICE_MAIN, pods }));
}, 60_000);

afterEach(async () => {
  // Pods the fake restarted are detached processes of their own: kill them by the recorded pid.
  try {
    const { pods } = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(stateFile, 'utf8'))) as { pods: FakePod[] };
    for (const pod of pods) {
      try {
        process.kill(pod.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // no state written
  }
  for (const service of services) await service.cleanup();
  services = [];
  await rm(dir, { recursive: true, force: true });
}, 30_000);

describe('scripts/smoke.mjs fails on a broken cluster (real service processes behind a stand-in kubectl)', () => {
  it('fails, and dumps the state, when a deleted pod comes back without its count', async () => {
    const result = await runSmoke({ FAKE_CLUSTER_FAULT: 'lose-data' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL deleting visits-1 keeps its count — \d+ before, 0 after/);
    expect(result.stderr).toContain('check failed: deleting visits-1 keeps its count');
    expect(result.stdout).toContain('$ kubectl -n visits get events');
  }, 120_000);

  it('fails when visits sent to one pod by its headless name land on another', async () => {
    const result = await runSmoke({ FAKE_CLUSTER_FAULT: 'misroute-headless' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /FAIL 3 visits to visits-2\.visits-headless count on visits-2 alone — 3 answered 200, per-pod increase 3, 0, 0/,
    );
    expect(result.stdout).not.toContain('deleting visits-1');
  }, 120_000);
});
