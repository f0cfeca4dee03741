/**
 * The seed lab's pod deletion on the real StatefulSet controller: `kubectl delete pod visits-1`
 * brings back a new pod of the same name on the same claim (the same PersistentVolume).
 */
import { waitFor } from '../support/wait-for';
import { get, kubectl, waitSyncedHealthy, useCluster } from './support/cluster';

useCluster();

test('a deleted pod comes back with the same PVC', async () => {
  const pod = await get('pod', 'visits-1');
  const pvc = await get('pvc', 'data-visits-1');
  await kubectl(['-n', 'visits', 'delete', 'pod', 'visits-1', '--wait=true', '--timeout=60s']);

  const back = await waitFor('visits-1 to be recreated and Ready', 120_000, async () => {
    const p = await get('pod', 'visits-1');
    const ready = p.status.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True';
    return p.metadata.uid !== pod.metadata.uid && ready ? p : undefined;
  });
  const claim = back.spec.volumes.find((v: { name: string }) => v.name === 'data').persistentVolumeClaim.claimName;
  expect(claim).toBe('data-visits-1');
  const after = await get('pvc', 'data-visits-1');
  expect({ uid: after.metadata.uid, volume: after.spec.volumeName, phase: after.status.phase }).toEqual({
    uid: pvc.metadata.uid,
    volume: pvc.spec.volumeName,
    phase: 'Bound',
  });
  await waitSyncedHealthy('visits');
});
