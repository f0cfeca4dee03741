/**
 * A fresh local cluster bootstrapped as docs/deploy.md tells a person: the real API server
 * admitted every object, the real StatefulSet and PV controllers made the pods and bound the
 * claims, and the real Argo CD synced the root Application and everything under it.
 */
import {
  application,
  clusterEnv,
  describeApp,
  exec,
  get,
  kubectlResult,
  list,
  requireRealNodes,
  waitSyncedHealthy,
  type Obj,
  useCluster,
  workersByZone,
} from './support/cluster';
import { waitFor } from '../support/wait-for';

useCluster();

test('the root Application syncs itself, both AppProjects and the visits Application', async () => {
  const root = await waitSyncedHealthy('root');
  const managed = (root.status.resources as Obj[]).map((r) => `${r.kind}/${r.name}`).sort();
  expect(managed).toEqual(
    expect.arrayContaining([
      'AppProject/bootstrap',
      'AppProject/monitoring',
      'AppProject/visits',
      'Application/kube-prometheus-stack',
      'Application/root',
      'Application/visits',
    ]),
  );
  for (const r of root.status.resources as Obj[]) {
    expect(`${r.kind}/${r.name} ${r.status}`).toBe(`${r.kind}/${r.name} Synced`);
  }
  const visits = await waitSyncedHealthy('visits');
  expect(visits.spec.source.repoURL).toBe(root.spec.source.repoURL);
});

test('StatefulSet visits is 3/3 with a Running, Ready pod per replica', async () => {
  const sts = await get('statefulset', 'visits');
  expect(sts.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3 });
  const pods = await list('pods', 'visits', 'app.kubernetes.io/name=visits');
  expect(pods.map((p) => p.metadata.name).sort()).toEqual(['visits-0', 'visits-1', 'visits-2']);
  const workers = Object.values(await workersByZone());
  for (const pod of pods) {
    const ready = pod.status.conditions?.find((c: Obj) => c.type === 'Ready')?.status;
    expect(`${pod.metadata.name} ${pod.status.phase} ready=${ready}`).toBe(`${pod.metadata.name} Running ready=True`);
    // The scheduler kept them off the tainted control-plane node.
    expect(workers).toContain(pod.spec.nodeName);
  }
});

// The dev overlay names no storage class: the claims get the cluster's default, which on the
// local cluster (as on kind) is `standard` (docs/deploy.md#storage-classes).
test('PVCs data-visits-0..2 are Bound, 128Mi, ReadWriteOnce, on the default class standard', async () => {
  const sts = await get('statefulset', 'visits');
  expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBeUndefined();
  const sc = await get('storageclass', 'standard', '');
  expect(sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
  for (const i of [0, 1, 2]) {
    const pvc = await get('pvc', `data-visits-${i}`);
    expect({
      name: pvc.metadata.name,
      phase: pvc.status.phase,
      request: pvc.spec.resources.requests.storage,
      capacity: pvc.status.capacity?.storage,
      modes: pvc.spec.accessModes,
      class: pvc.spec.storageClassName,
    }).toEqual({
      name: `data-visits-${i}`,
      phase: 'Bound',
      request: '128Mi',
      capacity: '128Mi',
      modes: ['ReadWriteOnce'],
      class: 'standard',
    });
    const pv = await get('pv', pvc.spec.volumeName, '');
    expect(pv.spec.claimRef).toMatchObject({ name: `data-visits-${i}`, namespace: 'visits', uid: pvc.metadata.uid });
  }
});

test('visits-headless is headless and its EndpointSlices name each pod by hostname', async () => {
  const svc = await get('service', 'visits-headless');
  expect(svc.spec.clusterIP).toBe('None');
  const slices = await list('endpointslices', 'visits', 'kubernetes.io/service-name=visits-headless');
  const endpoints = slices.flatMap((s) => s.endpoints ?? []);
  const byHostname = Object.fromEntries(endpoints.map((e: Obj) => [e.hostname, e]));
  expect(Object.keys(byHostname).sort()).toEqual(['visits-0', 'visits-1', 'visits-2']);
  for (const [hostname, endpoint] of Object.entries(byHostname) as [string, Obj][]) {
    const pod = await get('pod', hostname);
    expect(endpoint.targetRef).toMatchObject({ kind: 'Pod', name: hostname });
    expect(endpoint.addresses).toEqual([pod.status.podIP]);
    expect(endpoint.conditions.ready).toBe(true);
  }
});

test('the nodes: three zoned workers and a tainted control-plane node, all Ready', async () => {
  const nodes = await list('nodes', '');
  // By role and zone: the node names are the cluster's own (worker-a here, visits-worker2 on kind).
  const summary = nodes
    .map((n) => ({
      zone: n.metadata.labels['topology.kubernetes.io/zone'],
      hostnameIsName: n.metadata.labels['kubernetes.io/hostname'] === n.metadata.name,
      ready: n.status.conditions.find((c: Obj) => c.type === 'Ready')?.status,
      taints: (n.spec.taints ?? []).map((t: Obj) => `${t.key}:${t.effect}`),
    }))
    .sort((a, b) => `${a.zone} ${a.taints}`.localeCompare(`${b.zone} ${b.taints}`));
  expect(summary).toEqual([
    { zone: 'zone-a', hostnameIsName: true, ready: 'True', taints: [] },
    { zone: 'zone-a', hostnameIsName: true, ready: 'True', taints: ['node-role.kubernetes.io/control-plane:NoSchedule'] },
    { zone: 'zone-b', hostnameIsName: true, ready: 'True', taints: [] },
    { zone: 'zone-c', hostnameIsName: true, ready: 'True', taints: [] },
  ]);
  expect(Object.keys(await workersByZone()).sort()).toEqual(['zone-a', 'zone-b', 'zone-c']);
});

describe('the visits namespace enforces the restricted Pod Security profile', () => {
  test('the namespace carries the enforce label and the visits pods were admitted', async () => {
    const ns = await get('namespace', 'visits', '');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect((await list('pods', 'visits', 'app.kubernetes.io/name=visits')).length).toBe(3);
  });

  test("the pods' safe sysctl passed admission and the kubelet set it in each pod's network namespace", async () => {
    // docs/security.md#http-limits: a 4 KiB receive buffer keeps a pipelining flood's reads small.
    requireRealNodes();
    const pod = await get('pod', 'visits-0');
    expect(pod.spec.securityContext.sysctls).toEqual([{ name: 'net.ipv4.tcp_rmem', value: '4096 4096 4096' }]);
    for (const name of ['visits-0', 'visits-1', 'visits-2']) {
      expect((await exec(name, 'cat', '/proc/sys/net/ipv4/tcp_rmem')).trim().split(/\s+/)).toEqual(['4096', '4096', '4096']);
    }
  });

  test('the real admission rejects a pod that breaks the profile, and names why', async () => {
    const result = await kubectlResult(['-n', 'visits', 'run', 'not-restricted', '--image=busybox', '--restart=Never', '--privileged']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
    expect(result.stderr).toMatch(/privileged/);
    const after = await kubectlResult(['-n', 'visits', 'get', 'pod', 'not-restricted']);
    expect(after.stderr).toMatch(/NotFound/);
  });
});

test('kube-prometheus-stack: Argo CD renders the pinned chart where the cluster reaches it, and says plainly why not where it cannot', async () => {
  if (clusterEnv().VISITS_CLUSTER_OFFLINE === '1') {
    const app = await application('kube-prometheus-stack');
    const text = await describeApp('kube-prometheus-stack');
    // Its chart lives on prometheus-community.github.io, which this machine cannot reach; Argo
    // CD's outbound HTTP goes to a closed loopback port, so the error is immediate and local.
    expect(app.status?.sync?.status).not.toBe('Synced');
    expect(text).toMatch(/prometheus-community\.github\.io|proxyconnect|connection refused/);
  } else {
    // A cluster online (CI's kind) renders the pinned chart: compared at the pin, no ComparisonError.
    await waitFor(
      'kube-prometheus-stack compared at its pinned chart',
      { timeoutMs: 180_000, describe: () => describeApp('kube-prometheus-stack') },
      async () => {
        const current = await application('kube-prometheus-stack');
        const failing = (current.status?.conditions ?? []).some((c: Obj) => c.type === 'ComparisonError');
        return current.status?.sync?.revision === current.spec.source.targetRevision && !failing ? current : undefined;
      },
    );
  }
});
