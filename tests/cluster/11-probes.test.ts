/**
 * The kubelet really runs the probes the StatefulSet declares. A frozen process (SIGSTOP, sent by
 * PID from the host) fails liveness and is restarted with its count; a killed one is restarted;
 * a data volume that stops taking writes fails readiness, so the pod leaves the Service's
 * EndpointSlice, and returns when the volume is fixed.
 */
import { waitFor } from '../support/wait-for';
import {
  chmodOnNode,
  containerTask,
  countOnDisk,
  get,
  list,
  requireRealNodes,
  signalTask,
  useCluster,
  volumeDir,
  type Obj,
} from './support/cluster';

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
  const task = await containerTask('visits-2');
  expect((await signalTask(task, 'STOP')).code).toBe(0);
  try {
    // livenessProbe: every 10 s, 3 failures. Readiness (every 2 s, 1 failure) drops first.
    await waitFor('visits-2 not Ready while frozen', 30_000, async () => ((await ready('visits-2')) ? undefined : true));
    const after = await restartedOnce('visits-2', before.restartCount, 120_000);
    expect(after.lastState.terminated).toMatchObject({ exitCode: 137 });
  } finally {
    await signalTask(task, 'CONT'); // only matters if the kubelet has not killed it (a failed wait)
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
  expect((await signalTask(await containerTask('visits-0'), 'KILL')).code).toBe(0);
  const after = await restartedOnce('visits-0', before.restartCount, 120_000);
  expect(after.lastState.terminated).toMatchObject({ exitCode: 137 });
  expect(await countOnDisk('visits-0')).toBe(count);
});

test('an unwritable data volume fails readiness: the pod leaves the EndpointSlice, and returns once fixed', async () => {
  const volume = await volumeDir('visits-1');
  expect(await inService('visits-1')).toBe(true);
  const restarts = (await container('visits-1')).restartCount;
  await chmodOnNode(volume, '555'); // the service runs as 10001: its writes now fail with EACCES
  const broken = Date.now();
  let outMs = 0;
  try {
    await waitFor('visits-1 out of the Service', 45_000, async () => ((await inService('visits-1')) ? undefined : true));
    outMs = Date.now() - broken;
    expect(await ready('visits-1')).toBe(false);
  } finally {
    await chmodOnNode(volume, '777');
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
