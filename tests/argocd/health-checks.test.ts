import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterDirs } from '../manifests/lib/repository';
import { kustomizeSync, type K8sObject } from '../support/kustomize';
import { REPO_ROOT } from '../support/repo-root';
import { ArgocdCli, type Health } from './argocd-cli';
import { argocdCms } from './argocd-cm';
import { childApplication, secondsAgo, statefulSet } from './fixtures';

/**
 * The health checks of argocd/ (argocd-cm), judged by the real Argo CD CLI the way Argo CD tests
 * its own: an object in, STATUS and MESSAGE out. The argocd-cm it reads is the one a cluster
 * ends up with: upstream's, from the pinned install.yaml, with argocd/'s keys merged onto it.
 * Each case also runs with upstream's alone, so the cases where our answer matters show what
 * Argo CD says without it.
 */
const STATEFULSET_KEY = 'resource.customizations.health.apps_StatefulSet';
const APPLICATION_KEY = 'resource.customizations.health.argoproj.io_Application';
const DEADLINE = 600; // health/statefulset.lua's default, Deployment's progressDeadlineSeconds
const DEADLINE_ANNOTATION = 'visits.example.com/progress-deadline-seconds';

let cli: ArgocdCli;
let ours: string;
let upstream: string;
let rendered: K8sObject;
let installed: K8sObject;

beforeAll(async () => {
  cli = ArgocdCli.start();
  ({ ours, upstream, rendered, installed } = await argocdCms(cli));
}, 1_900_000);

afterAll(() => cli?.stop());

describe('argocd-cm as argocd/ renders it', () => {
  it('is the ConfigMap Argo CD reads (name, namespace, part-of label) and holds only our keys', () => {
    expect(rendered.metadata).toMatchObject({
      name: 'argocd-cm',
      namespace: 'argocd',
      labels: { 'app.kubernetes.io/part-of': 'argocd' },
    });
    expect(Object.keys(rendered.data).sort()).toEqual([APPLICATION_KEY, STATEFULSET_KEY].sort());
  });

  it("sets no key that upstream's install.yaml sets (the install and the Application never share a key)", () => {
    expect(Object.keys(installed.data ?? {}).filter((key) => key in rendered.data)).toEqual([]);
  });

  it('takes each script from its file, unchanged', () => {
    expect(rendered.data[STATEFULSET_KEY]).toBe(readFileSync(join(REPO_ROOT, 'argocd/health/statefulset.lua'), 'utf8'));
    expect(rendered.data[APPLICATION_KEY]).toBe(readFileSync(join(REPO_ROOT, 'argocd/health/application.lua'), 'utf8'));
  });
});

interface Case {
  name: string;
  object: () => K8sObject;
  /** Our check's answer: the status, and a part of the message. */
  expected: { status: string; message: RegExp };
  /** What Argo CD answers without our check (null: no check for the kind). */
  builtIn: string | null;
}

const statefulSetCases: Case[] = [
  {
    name: 'a healthy StatefulSet, 3 of 3 ready at one revision, last changed a day ago',
    object: () => statefulSet({ statusChanged: secondsAgo(86_400) }),
    expected: { status: 'Healthy', message: /^3 of 3 pods ready, 3 at revision visits-7d9f8c6b5$/ },
    builtIn: 'Healthy',
  },
  {
    name: 'a rolling update, 1 of 3 pods replaced and not ready yet, last change 20 s ago',
    object: () => statefulSet({ ready: 2, updated: 1, updateRevision: 'visits-5c4b3a291', generation: 3, statusChanged: secondsAgo(20) }),
    expected: { status: 'Progressing', message: /^1 of 3 pods not ready$/ },
    builtIn: 'Progressing',
  },
  {
    name: 'a rollout whose new pod crash-loops: 1 of 3 replaced, not ready, nothing changed for longer than the deadline',
    object: () =>
      statefulSet({ ready: 2, updated: 1, updateRevision: 'visits-5c4b3a291', generation: 3, statusChanged: secondsAgo(DEADLINE + 60) }),
    expected: { status: 'Degraded', message: /^1 of 3 pods not ready, and no progress for more than 600s/ },
    builtIn: 'Progressing',
  },
  {
    name: 'a finished rollout with one pod crash-looping since longer than the deadline',
    object: () => statefulSet({ ready: 2, statusChanged: secondsAgo(DEADLINE + 60) }),
    expected: { status: 'Degraded', message: /^1 of 3 pods not ready, and no progress/ },
    builtIn: 'Progressing',
  },
  {
    name: 'all pods ready, but the rollout stopped with 1 of 3 replaced',
    object: () => statefulSet({ updated: 1, updateRevision: 'visits-5c4b3a291', generation: 3, statusChanged: secondsAgo(DEADLINE + 60) }),
    expected: { status: 'Degraded', message: /^1 of 3 pods at revision visits-5c4b3a291, and no progress/ },
    builtIn: 'Progressing',
  },
  {
    name: 'a shorter deadline from the annotation, passed',
    object: () =>
      statefulSet({
        ready: 2,
        updated: 1,
        updateRevision: 'visits-5c4b3a291',
        annotations: { [DEADLINE_ANNOTATION]: '60' },
        statusChanged: secondsAgo(120),
      }),
    expected: { status: 'Degraded', message: /no progress for more than 60s/ },
    builtIn: 'Progressing',
  },
  {
    name: 'a shorter deadline from the annotation, not passed yet',
    object: () =>
      statefulSet({
        ready: 2,
        updated: 1,
        updateRevision: 'visits-5c4b3a291',
        annotations: { [DEADLINE_ANNOTATION]: '60' },
        statusChanged: secondsAgo(30),
      }),
    expected: { status: 'Progressing', message: /^1 of 3 pods not ready$/ },
    builtIn: 'Progressing',
  },
  {
    name: 'minReadySeconds: all ready, 1 not yet available, stuck',
    object: () => statefulSet({ minReadySeconds: 10, available: 2, statusChanged: secondsAgo(DEADLINE + 60) }),
    expected: { status: 'Degraded', message: /^1 of 3 pods not yet available \(minReadySeconds\), and no progress/ },
    builtIn: 'Healthy',
  },
  {
    name: 'OnDelete: 1 of 3 pods at the new revision, the others wait to be deleted by hand, all ready',
    object: () =>
      statefulSet({ strategy: { type: 'OnDelete' }, updated: 1, updateRevision: 'visits-5c4b3a291', statusChanged: secondsAgo(86_400) }),
    expected: { status: 'Healthy', message: /^3 of 3 pods ready, 1 at revision visits-5c4b3a291$/ },
    builtIn: 'Healthy',
  },
  {
    name: 'OnDelete: a deleted pod came back at the new revision and never got ready',
    object: () =>
      statefulSet({
        strategy: { type: 'OnDelete' },
        ready: 2,
        updated: 1,
        updateRevision: 'visits-5c4b3a291',
        statusChanged: secondsAgo(DEADLINE + 60),
      }),
    expected: { status: 'Degraded', message: /^1 of 3 pods not ready, and no progress/ },
    builtIn: 'Progressing',
  },
  {
    name: 'a partitioned rollout (partition 2) that replaced its 1 pod',
    object: () =>
      statefulSet({
        strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
        updated: 1,
        updateRevision: 'visits-5c4b3a291',
        statusChanged: secondsAgo(86_400),
      }),
    expected: { status: 'Healthy', message: /^3 of 3 pods ready, 1 at revision visits-5c4b3a291$/ },
    builtIn: 'Healthy',
  },
  {
    name: 'a new spec the controller has not observed yet (observedGeneration behind), status unchanged for a day',
    object: () => statefulSet({ generation: 4, observedGeneration: 3, statusChanged: secondsAgo(86_400) }),
    expected: { status: 'Progressing', message: /^waiting for the StatefulSet controller to observe generation 4$/ },
    builtIn: 'Progressing',
  },
  {
    name: 'pending work but no managedFields (a client that strips them): cannot tell, so Progressing',
    object: () => statefulSet({ ready: 2, statusChanged: null }),
    expected: { status: 'Progressing', message: /^1 of 3 pods not ready$/ },
    builtIn: 'Progressing',
  },
];

const applicationCases: Case[] = (['Healthy', 'Degraded', 'Progressing', 'Missing'] as const).map((status) => ({
  name: `a child Application whose health is ${status}`,
  object: () => childApplication({ status, message: `the child says ${status}` }),
  expected: { status, message: new RegExp(`^the child says ${status}$`) },
  builtIn: null,
}));
applicationCases.push({
  // Root among its own resources: counting its Progressing would keep it Progressing for ever.
  name: 'an Application that manages itself (root), Progressing: Healthy as its own resource',
  object: () => childApplication({ status: 'Progressing' }, { 'visits.example.com/manages-itself': 'true' }),
  expected: { status: 'Healthy', message: /^manages itself: its health is its children's, not counted twice$/ },
  builtIn: null,
});
applicationCases.push({
  name: 'a child Application not assessed yet (no status)',
  object: () => childApplication(),
  expected: { status: 'Progressing', message: /^waiting for the Application's first health assessment$/ },
  builtIn: null,
});

describe.each([
  ['StatefulSet', statefulSetCases],
  ['Application', applicationCases],
])('%s health', (_kind, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const health = await cli.health(c.object(), ours);
    expect(health).toEqual({ status: c.expected.status, message: expect.stringMatching(c.expected.message) as string });
    const builtIn: Health | null = await cli.health(c.object(), upstream);
    expect(builtIn?.status ?? null).toBe(c.builtIn);
  });
});

describe('the deadline does not depend on the controller’s time zone', () => {
  it.each(['Asia/Kolkata', 'America/Los_Angeles', 'Pacific/Chatham'])('%s', async (timeZone) => {
    const rolling = (changed: string) => statefulSet({ ready: 2, updated: 1, updateRevision: 'visits-5c4b3a291', statusChanged: changed });
    expect((await cli.health(rolling(secondsAgo(60)), ours, timeZone))?.status).toBe('Progressing');
    expect((await cli.health(rolling(secondsAgo(DEADLINE + 60)), ours, timeZone))?.status).toBe('Degraded');
  });
});

describe('every Application that syncs its own folder (root) is marked as managing itself', () => {
  it.each(clusterDirs(REPO_ROOT))('%s', (dir) => {
    const applications = kustomizeSync(join(REPO_ROOT, dir)).filter((o) => o.kind === 'Application');
    const selfManaged = applications.filter((a) => (a.spec as { source?: { path?: string } }).source?.path === dir);
    expect(selfManaged.map((a) => a.metadata.name)).toEqual(['root']);
    for (const app of selfManaged) expect(app.metadata.annotations?.['visits.example.com/manages-itself']).toBe('true');
  });
});
