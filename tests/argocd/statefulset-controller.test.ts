import { parse, stringify } from 'yaml';
import type { K8sObject } from '../support/kustomize';
import { waitFor } from '../support/wait-for';
import { ArgocdCli, type Health } from './argocd-cli';
import { argocdCms } from './argocd-cm';
import { ControlPlane } from './control-plane';

/**
 * The StatefulSet health check against the real StatefulSet controller and API server (a private
 * control plane: tools/kubernetes, tools/etcd), not fixtures: the check reads when the controller
 * last changed the status from managedFields, and this shows that the API server stamps that
 * time when the rollout advances and leaves it alone while it is stuck. No nodes: a pod gets
 * ready when the test writes its status, as a kubelet would.
 */
const DEADLINE_SECONDS = 15; // set on this StatefulSet by annotation, to keep the test short

let plane: ControlPlane;
let cli: ArgocdCli;
let ours: string;
let upstream: string;

beforeAll(async () => {
  cli = ArgocdCli.start();
  ({ ours, upstream } = await argocdCms(cli));
  plane = await ControlPlane.start();
}, 1_900_000);

afterAll(async () => {
  await plane?.stop();
  cli?.stop();
});

const statefulSet = (image: string) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: {
    name: 'visits',
    namespace: 'default',
    annotations: { 'visits.example.com/progress-deadline-seconds': String(DEADLINE_SECONDS) },
  },
  spec: {
    replicas: 3,
    serviceName: 'visits-headless',
    podManagementPolicy: 'Parallel',
    selector: { matchLabels: { app: 'visits' } },
    template: { metadata: { labels: { app: 'visits' } }, spec: { containers: [{ name: 'visits', image }] } },
  },
});

/** Applies the StatefulSet as Argo CD would (server-side, its field manager). */
const apply = (image: string) =>
  plane.kubectl(['apply', '--server-side', '--field-manager=argocd-controller', '-f', '-'], stringify(statefulSet(image)));

/** The live object with its managedFields, which `kubectl get` hides unless asked and Argo CD's watch keeps. */
async function live(): Promise<K8sObject> {
  return parse(await plane.kubectl(['get', 'statefulset', 'visits', '-o', 'yaml', '--show-managed-fields'])) as K8sObject;
}

const statusTime = (sts: K8sObject): string => (sts.metadata.managedFields as K8sObject[]).find((f) => f.subresource === 'status')!.time;

/** Ready, as the kubelet would report it, for the pods named. */
async function markReady(...pods: string[]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } };
  for (const pod of pods) await plane.kubectl(['patch', 'pod', pod, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
}

/** Waits for the StatefulSet's status to satisfy `ready`, then judges it with `argocdCm`. */
async function judgeWhen(
  what: string,
  ready: (status: K8sObject) => boolean,
  argocdCm = ours,
): Promise<{ sts: K8sObject; health: Health }> {
  const sts = await waitFor(what, 60_000, async () => {
    const current = await live();
    return ready(current.status ?? {}) && current;
  });
  return { sts, health: (await cli.health(sts, argocdCm))! };
}

test('pods that never get ready: Progressing, then Degraded once the deadline passes without a status change', async () => {
  await apply('example.invalid/visits:1');
  const first = await judgeWhen('3 pods created', (s) => s.replicas === 3);
  expect(first.health).toEqual({ status: 'Progressing', message: '3 of 3 pods not ready' });

  const stuck = await waitFor('Degraded', 60_000, async () => {
    const sts = await live();
    const health = await cli.health(sts, ours);
    return health?.status === 'Degraded' && { sts, health };
  });
  // Nothing the controller wrote moved the clock: the same status time as at the start.
  expect(statusTime(stuck.sts)).toBe(statusTime(first.sts));
  expect(stuck.health.message).toMatch(new RegExp(`^3 of 3 pods not ready, and no progress for more than ${DEADLINE_SECONDS}s`));
  expect((await cli.health(stuck.sts, upstream))?.status).toBe('Progressing');
}, 120_000);

test('a rollout: Healthy, Progressing while it advances, Degraded when a new pod never gets ready, Progressing again once it does, Healthy at the end', async () => {
  await markReady('visits-0', 'visits-1', 'visits-2');
  const healthy = await judgeWhen('3 ready', (s) => s.readyReplicas === 3);
  expect(healthy.health.status).toBe('Healthy');

  // Parallel + RollingUpdate: the controller replaces visits-2 first, then waits for it to be ready.
  await apply('example.invalid/visits:2');
  const rolling = await judgeWhen(
    'visits-2 replaced',
    (s) => s.observedGeneration === 2 && s.updatedReplicas === 1 && s.readyReplicas === 2,
  );
  expect(rolling.health).toEqual({ status: 'Progressing', message: '1 of 3 pods not ready' });
  const stuck = await waitFor('Degraded', 60_000, async () => {
    const health = await cli.health(await live(), ours);
    return health?.status === 'Degraded' && health;
  });
  expect(stuck.message).toMatch(/^1 of 3 pods not ready, and no progress/);

  // The new pod gets ready: the controller moves on to visits-1, the status changes, the clock restarts.
  await markReady('visits-2');
  const advanced = await judgeWhen('visits-1 replaced', (s) => s.updatedReplicas === 2 && s.readyReplicas === 2);
  expect(statusTime(advanced.sts) > statusTime(rolling.sts)).toBe(true);
  expect(advanced.health).toEqual({ status: 'Progressing', message: '1 of 3 pods not ready' });

  await markReady('visits-1');
  await judgeWhen('visits-0 replaced', (s) => s.updatedReplicas === 3 && s.readyReplicas === 2);
  await markReady('visits-0');
  const done = await judgeWhen('the rollout done', (s) => s.readyReplicas === 3 && s.currentRevision === s.updateRevision);
  expect(done.health).toEqual({ status: 'Healthy', message: `3 of 3 pods ready, 3 at revision ${done.sts.status.updateRevision}` });
}, 180_000);
