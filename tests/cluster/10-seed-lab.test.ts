/**
 * The seed lab's evidence on pods that really run the image (real kubelets, containerd, CoreDNS
 * and kube-proxy): scripts/smoke.mjs exactly as a person runs it against kind, then each of the
 * lab's commands with the answer the lab's report shows.
 */
import { runCommand } from '../support/run-command';
import { waitFor } from '../support/wait-for';
import { REPO_ROOT } from '../support/repo-root';
import { apiAccess, clusterUp, countOnDisk, get, kubectl, list, nodeIn, requireRealNodes, useCluster, type Obj } from './support/cluster';

useCluster();
beforeAll(requireRealNodes);

const PODS = ['visits-0', 'visits-1', 'visits-2'];
const counts = async (): Promise<number[]> => Promise.all(PODS.map(countOnDisk));
const podIp = async (pod: string): Promise<string> => (await get('pod', pod)).status.podIP;

test('scripts/smoke.mjs, the seed lab as a script, passes against the cluster', async () => {
  const { context } = await apiAccess();
  const smoke = await runCommand(process.execPath, [`${REPO_ROOT}/scripts/smoke.mjs`, '--context', context], {
    env: await clusterUp(),
    timeoutMs: 5 * 60_000,
  });
  expect({ code: smoke.code, tail: smoke.stdout.trim().split('\n').slice(-1)[0] }).toEqual({ code: 0, tail: 'smoke: all checks passed' });
  for (const check of [
    '3/3 pods Ready',
    'PVC data-visits-2 Bound 128Mi RWO',
    'the visits add up across pods',
    'traffic reached several pods',
    'deleting visits-1 keeps its PVC',
    'deleting visits-1 keeps its count',
    "visits-1.visits-headless resolves to visits-1's IP",
  ]) {
    expect(smoke.stdout).toContain(`ok   ${check}`);
  }
});

test('kubectl get po,sts,svc,pvc: three pods Running 1/1, the StatefulSet 3/3, the Services, three PVCs Bound', async () => {
  const { items } = JSON.parse(await kubectl(['-n', 'visits', 'get', 'po,sts,svc,pvc', '-o', 'json'])) as { items: Obj[] };
  const of = (kind: string) => items.filter((i) => i.kind === kind);
  expect(
    of('Pod').map((p) => `${p.metadata.name} ${p.status.phase} ${p.status.containerStatuses.filter((c: Obj) => c.ready).length}/1`),
  ).toEqual(PODS.map((p) => `${p} Running 1/1`));
  expect(of('StatefulSet').map((s) => `${s.metadata.name} ${s.status.readyReplicas}/${s.spec.replicas}`)).toEqual(['visits 3/3']);
  expect(of('Service').map((s) => `${s.metadata.name} ${s.spec.clusterIP === 'None' ? 'headless' : 'ClusterIP'}`)).toEqual([
    'visits ClusterIP',
    'visits-headless headless',
  ]);
  // Every claim Bound; a claim kept from a scale-down (whenScaled: Retain) may stand beside them.
  const claims = of('PersistentVolumeClaim').map((c) => `${c.metadata.name} ${c.status.phase}`);
  expect(claims).toEqual(expect.arrayContaining(PODS.map((p) => `data-${p} Bound`)));
  expect(claims.filter((c) => !c.endsWith(' Bound'))).toEqual([]);
  // Really running: three different nodes' kubelets report a container started from the pinned digest.
  const pods = of('Pod');
  expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
  for (const pod of pods) expect(pod.status.containerStatuses[0].imageID).toMatch(/@sha256:[0-9a-f]{64}$/);
});

test('visits sent to visits-1.visits-headless from another pod raise exactly visits-1 count in its file', async () => {
  const before = await counts();
  const answers = await nodeIn(
    'visits-0',
    `(async () => { const out = []; for (let i = 0; i < 7; i++) out.push((await (await fetch('http://visits-1.visits-headless:8080/')).json()).pod); console.log(out.join(',')); })()`,
  );
  expect(answers).toBe(Array(7).fill('visits-1').join(','));
  const after = await counts();
  expect(after.map((n, i) => n - before[i])).toEqual([0, 7, 0]);
});

test('kubectl delete pod visits-1: it comes back on the same PVC with the same count', async () => {
  const claim = await get('pvc', 'data-visits-1');
  const pod = await get('pod', 'visits-1');
  const count = await countOnDisk('visits-1');
  await kubectl(['-n', 'visits', 'delete', 'pod', 'visits-1', '--wait=true']);
  const back = await waitFor('a new visits-1 Ready', 120_000, async () => {
    const p = await get('pod', 'visits-1');
    const ready = p.status.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');
    return p.metadata.uid !== pod.metadata.uid && ready ? p : undefined;
  });
  expect(back.spec.volumes.find((v: Obj) => v.name === 'data').persistentVolumeClaim.claimName).toBe('data-visits-1');
  expect((await get('pvc', 'data-visits-1')).metadata.uid).toBe(claim.metadata.uid);
  expect(await countOnDisk('visits-1')).toBe(count);
});

test('visits-1.visits-headless resolves, inside another pod, to visits-1 pod IP (CoreDNS); every replica lists all three', async () => {
  const resolved = await nodeIn('visits-2', `require('dns').lookup('visits-1.visits-headless', (e, a) => console.log(e ? e.code : a))`);
  expect(resolved).toBe(await podIp('visits-1'));
  // The fully qualified name and the Service's ClusterIP name, as a pod's resolv.conf search path finds them.
  const service = await get('service', 'visits');
  const viaService = await nodeIn(
    'visits-0',
    `require('dns').lookup('visits.visits.svc.cluster.local', (e, a) => console.log(e ? e.code : a))`,
  );
  expect(viaService).toBe(service.spec.clusterIP);

  const onDisk = await counts();
  for (const pod of PODS) {
    const view = JSON.parse(await nodeIn(pod, `fetch('http://127.0.0.1:8080/visits/cluster').then(r => r.text()).then(console.log)`));
    expect({ pod, partial: view.partial, pods: view.pods.map((p: Obj) => `${p.pod}=${p.visits}`) }).toEqual({
      pod,
      partial: false,
      pods: PODS.map((p, i) => `${p}=${onDisk[i]}`),
    });
    expect(view.total).toBe(onDisk.reduce((a, b) => a + b, 0));
  }
});

test('the ClusterIP Service spreads visits over the replicas through kube-proxy', async () => {
  const pods = await list('pods', 'visits', 'app.kubernetes.io/name=visits');
  expect(pods).toHaveLength(3);
  // kube-proxy picks a replica per connection: a new connection for every visit (agent: false),
  // as fetch's keep-alive would send all forty over one.
  const seen = await nodeIn(
    'visits-2',
    `const http = require('http');
     const visit = () => new Promise((ok, ko) => http.get({ host: 'visits', path: '/', agent: false }, (r) => {
       let body = ''; r.on('data', (c) => (body += c)); r.on('end', () => ok(JSON.parse(body).pod));
     }).on('error', ko));
     (async () => { const s = new Set(); for (let i = 0; i < 40; i++) s.add(await visit()); console.log([...s].sort().join(',')); })()`,
  );
  expect(seen.split(',').length).toBeGreaterThanOrEqual(2);
});
