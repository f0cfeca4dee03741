/**
 * The kubelet really runs the probes the StatefulSet declares. A frozen process (SIGSTOP, sent by
 * PID from the host) fails liveness and is restarted with its count; a killed one is restarted;
 * a data volume that stops taking writes fails readiness, so the pod leaves the Service's
 * EndpointSlice, and returns when the volume is fixed.
 */
import { chmod } from 'node:fs/promises';
import { waitFor } from '../support/wait-for';
import { containerPid, countOnDisk, get, list, requireRealNodes, useCluster, type Obj } from './support/cluster';

useCluster();
beforeAll(requireRealNodes);

const container = async (pod: string): Promise<Obj> => (await get('pod', pod)).status.containerStatuses[0];
const ready = async (pod: string): Promise<boolean> => (await container(pod)).ready === true;

/** Whether POD is a ready endpoint of the `visits` Service, as kube-proxy reads it. */
async function inService(pod: string): Promise<boolean> {
  const slices = await list('endpointslices', 'visits', 'kubernetes.io/service-name=visits');
  return slices.some((s: Obj) => (s.endpoints ?? []).some((e: Obj) => e.targetRef?.name === pod && e.conditions?.ready === true));
}

async function restartedOnce(pod: string, restarts: number, timeoutMs: number): Promise<Obj> {
  return waitFor(
    `${pod} restarted and Ready again`,
    { timeoutMs: timeoutMs, describe: async () => JSON.stringify(await container(pod), null, 2) },
    async () => {
      const status = await container(pod);
      return status.restartCount === restarts + 1 && status.ready ? status : undefined;
    },
  );
}

test('a frozen node process fails liveness; the kubelet restarts the container, which keeps its count', async () => {
  const before = await container('visits-2');
  const count = await countOnDisk('visits-2');
  const pid = await containerPid('visits-2');
  process.kill(pid, 'SIGSTOP');
  try {
    // livenessProbe: every 10 s, 3 failures. Readiness (every 2 s, 1 failure) drops first.
    await waitFor('visits-2 not Ready while frozen', 30_000, async () => ((await ready('visits-2')) ? undefined : true));
    const after = await restartedOnce('visits-2', before.restartCount, 120_000);
    expect(after.lastState.terminated).toMatchObject({ exitCode: 137 });
  } finally {
    try {
      process.kill(pid, 'SIGCONT'); // only if the kubelet has not killed it (a failed wait)
    } catch {
      // gone, as it should be
    }
  }
  const events = await list('events', 'visits', undefined);
  expect(
    events.some((e: Obj) => e.involvedObject?.name === 'visits-2' && e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message)),
  ).toBe(true);
  expect(await countOnDisk('visits-2')).toBe(count);
});

test('a killed node process (SIGKILL by PID) is restarted by the kubelet with its count', async () => {
  const before = await container('visits-0');
  const count = await countOnDisk('visits-0');
  process.kill(await containerPid('visits-0'), 'SIGKILL');
  const after = await restartedOnce('visits-0', before.restartCount, 120_000);
  expect(after.lastState.terminated).toMatchObject({ exitCode: 137 });
  expect(await countOnDisk('visits-0')).toBe(count);
});

test('an unwritable data volume fails readiness: the pod leaves the EndpointSlice, and returns once fixed', async () => {
  const claim = (await get('pod', 'visits-1')).spec.volumes.find((v: Obj) => v.name === 'data').persistentVolumeClaim.claimName;
  const volume = await get('pv', (await get('pvc', claim)).spec.volumeName, '');
  const dir: string = volume.spec.hostPath.path;
  expect(await inService('visits-1')).toBe(true);
  const restarts = (await container('visits-1')).restartCount;
  await chmod(dir, 0o555); // the service runs as 10001: its writes now fail with EACCES
  const broken = Date.now();
  let outMs = 0;
  try {
    await waitFor('visits-1 out of the Service', 45_000, async () => ((await inService('visits-1')) ? undefined : true));
    outMs = Date.now() - broken;
    expect(await ready('visits-1')).toBe(false);
  } finally {
    await chmod(dir, 0o777);
  }
  const fixed = Date.now();
  await waitFor('visits-1 back in the Service', 30_000, async () => ((await inService('visits-1')) ? true : undefined));
  // The figures docs/architecture.md#probe-timings quotes.
  console.log(
    `readiness: volume unwritable -> out of the Service ${(outMs / 1000).toFixed(1)} s; fixed -> back ${((Date.now() - fixed) / 1000).toFixed(1)} s`,
  );
  expect(await ready('visits-1')).toBe(true);
  // Liveness looks at the process only: a volume problem never restarts the pod.
  expect((await container('visits-1')).restartCount).toBe(restarts);
});
