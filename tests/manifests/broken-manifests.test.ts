/**
 * Proves the validation fails, and says where: each case copies apps/, clusters/ and argocd/ into a
 * temporary directory, breaks one thing, renders and validates the copy, and expects a problem
 * that names the file, the object and the field. The real service answers the probe paths.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probePaths } from './lib/pod-checks';
import { formatProblems, type Problem } from './lib/problems';
import { loadRepository } from './lib/repository';
import { stopModelValidator } from './lib/schema';
import { RouteOracle } from './lib/service-routes';
import { validateRepository } from './lib/validate-repository';
import { REPO_ROOT } from '../support/repo-root';

const DEV_STS = 'StatefulSet visits/visits (rendered from apps/visits/envs/dev)';
const PROD_STS = 'StatefulSet visits-prod/visits (rendered from apps/visits/envs/prod)';
const DEV_APP = 'Application argocd/visits (rendered from clusters/dev)';

let oracle: RouteOracle;
const tempDirs: string[] = [];

beforeAll(async () => {
  oracle = await RouteOracle.start();
}, 30_000);

afterAll(async () => {
  await Promise.all([oracle?.stop(), stopModelValidator()]);
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of the manifests with `edit` applied; its problems after rendering `clusters/<cluster>`. */
async function problemsAfter(cluster: 'dev' | 'prod', edit: (root: string) => Promise<void>): Promise<Problem[]> {
  const root = await mkdtemp(join(tmpdir(), 'visits-manifests-'));
  tempDirs.push(root);
  await Promise.all(['apps', 'clusters', 'argocd'].map((d) => cp(join(REPO_ROOT, d), join(root, d), { recursive: true })));
  await edit(root);
  const repo = await loadRepository(root, { only: [`clusters/${cluster}`] });
  return validateRepository(repo, await oracle.statuses(probePaths(repo.objects)));
}

/** Replaces text in one file of the copy; fails loudly if the text is not there (a stale case). */
function replace(file: string, from: string | RegExp, to: string) {
  return async (root: string) => {
    const path = join(root, file);
    const text = await readFile(path, 'utf8');
    const next = text.replace(from, to);
    if (next === text) throw new Error(`${file}: ${String(from)} not found`);
    await writeFile(path, next);
  };
}

function expectProblem(problems: Problem[], file: string, object: string, field: string, message: RegExp) {
  const text = formatProblems(problems);
  const hit = problems.find((p) => p.file === file && p.object === object && p.field === field && message.test(p.message));
  if (!hit) throw new Error(`expected ${file}: ${object}: ${field}: ${message}\ngot:\n${text}`);
}

const STS = 'apps/visits/base/statefulset.yaml';

test('the unbroken copy passes (the cases below each break exactly one thing)', async () => {
  expect(formatProblems(await problemsAfter('dev', async () => undefined))).toBe('');
});

describe('schema', () => {
  test('an unknown (misspelt) field in the StatefulSet', async () => {
    const problems = await problemsAfter('dev', replace(STS, '  replicas: 3', '  replica: 3'));
    expectProblem(problems, STS, DEV_STS, 'spec.replica', /unknown field/);
  });

  test('a wrongly typed field', async () => {
    const problems = await problemsAfter('dev', replace(STS, '  replicas: 3', '  replicas: three'));
    expectProblem(problems, STS, DEV_STS, 'spec.replicas', /must be integer/);
  });

  test('an unknown field in an Argo CD Application', async () => {
    const problems = await problemsAfter('dev', replace('clusters/base/visits.yaml', '    automated:', '    automatic:'));
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.syncPolicy.automatic', /unknown field/);
  });

  test('an unknown field in an AppProject', async () => {
    // Not `destinations`: the clusters' patches add its namespace, so kustomize would fail first.
    const problems = await problemsAfter('dev', replace('clusters/base/project.yaml', '  orphanedResources:', '  orphanedResource:'));
    expectProblem(
      problems,
      'clusters/base/project.yaml',
      'AppProject argocd/visits (rendered from clusters/dev)',
      'spec.orphanedResource',
      /unknown field/,
    );
  });

  test('an unknown field in the ServiceMonitor', async () => {
    const file = 'apps/visits/components/monitoring/servicemonitor.yaml';
    const problems = await problemsAfter('dev', replace(file, /\n {2}endpoints:/, '\n  endpoint:'));
    expectProblem(problems, file, 'ServiceMonitor visits/visits (rendered from apps/visits/envs/dev)', 'spec.endpoint', /unknown field/);
  });

  test('an unknown field in the PrometheusRule', async () => {
    const file = 'apps/visits/components/monitoring/prometheusrule.yaml';
    const problems = await problemsAfter('dev', replace(file, /\n {2}groups:/, '\n  rules:'));
    expectProblem(problems, file, 'PrometheusRule visits/visits (rendered from apps/visits/envs/dev)', 'spec.rules', /unknown field/);
  });

  test('a kind with no vendored schema', async () => {
    const edit = async (root: string) => {
      await writeFile(
        join(root, 'apps/visits/base/ingress.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: visits\n',
      );
      await replace('apps/visits/base/kustomization.yaml', '  - networkpolicy.yaml', '  - networkpolicy.yaml\n  - ingress.yaml')(root);
    };
    const problems = await problemsAfter('dev', edit);
    expectProblem(
      problems,
      'apps/visits/base/ingress.yaml',
      'Ingress visits/visits (rendered from apps/visits/envs/dev)',
      'kind',
      /no schema/,
    );
  });
});

describe('rendering', () => {
  test('a kustomization that does not build', async () => {
    const problems = await problemsAfter('dev', replace('apps/visits/base/kustomization.yaml', '  - service.yaml', '  - services.yaml'));
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.source.path', /kubectl kustomize apps\/visits\/envs\/dev failed/);
  });

  test('an Application path that does not exist', async () => {
    const problems = await problemsAfter(
      'dev',
      replace('clusters/dev/kustomization.yaml', 'value: apps/visits/envs/dev }', 'value: apps/visits/envs/staging }'),
    );
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.source.path', /does not exist/);
  });
});

describe('cross-checks', () => {
  test('serviceName names a Service that is not headless', async () => {
    const problems = await problemsAfter('dev', replace('apps/visits/base/service-headless.yaml', '  clusterIP: None\n', ''));
    expectProblem(problems, STS, DEV_STS, 'spec.serviceName', /not headless/);
  });

  test('a Service that targets a port the container does not declare', async () => {
    const file = 'apps/visits/base/service.yaml';
    const problems = await problemsAfter('dev', replace(file, 'targetPort: http', 'targetPort: web'));
    expectProblem(
      problems,
      file,
      'Service visits/visits (rendered from apps/visits/envs/dev)',
      'spec.ports[0].targetPort',
      /"web" is not a port declared by StatefulSet/,
    );
  });

  test('a Service whose selector selects no pods', async () => {
    const file = 'apps/visits/base/service.yaml';
    const problems = await problemsAfter(
      'dev',
      replace(file, /selector:\n {4}app\.kubernetes\.io\/name: visits/, 'selector:\n    app.kubernetes.io/name: visitors'),
    );
    expectProblem(problems, file, 'Service visits/visits (rendered from apps/visits/envs/dev)', 'spec.selector', /selects no pods/);
  });

  test('a probe path the service does not serve', async () => {
    const problems = await problemsAfter('dev', replace(STS, 'path: /health/ready', 'path: /healthz'));
    expectProblem(
      problems,
      STS,
      DEV_STS,
      'spec.template.spec.containers[0].readinessProbe.httpGet.path',
      /"\/healthz" is not a route the service serves \(it answered 404\)/,
    );
  });

  test('a probe on a port the container does not declare', async () => {
    const problems = await problemsAfter(
      'dev',
      replace(STS, /path: \/health\/live\n(\s+)port: monitor/, 'path: /health/live\n$1port: 9090'),
    );
    expectProblem(
      problems,
      STS,
      DEV_STS,
      'spec.template.spec.containers[0].livenessProbe.httpGet.port',
      /9090 is not a port the container declares/,
    );
  });

  test('a probe on the public port (the service serves probes on monitor only)', async () => {
    const problems = await problemsAfter(
      'dev',
      replace(STS, /path: \/health\/ready\n(\s+)port: monitor/, 'path: /health/ready\n$1port: http'),
    );
    expectProblem(problems, STS, DEV_STS, 'spec.template.spec.containers[0].readinessProbe.httpGet.port', /served on monitor only/);
  });

  test('readiness that drops a pod on one slow probe', async () => {
    const problems = await problemsAfter('dev', replace(STS, /failureThreshold: 2\n/, 'failureThreshold: 1\n'));
    expectProblem(problems, STS, DEV_STS, 'spec.template.spec.containers[0].readinessProbe.failureThreshold', /one slow probe/);
  });

  test('readiness too slow to notice a broken volume', async () => {
    const problems = await problemsAfter('dev', replace(STS, /periodSeconds: 5\n/, 'periodSeconds: 30\n'));
    expectProblem(problems, STS, DEV_STS, 'spec.template.spec.containers[0].readinessProbe', /keeps its traffic for up to 63s/);
  });

  test('privilege escalation allowed (restricted profile)', async () => {
    const problems = await problemsAfter('dev', replace(STS, 'allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'));
    expectProblem(
      problems,
      STS,
      DEV_STS,
      'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
      /must be false \(restricted profile\)/,
    );
  });

  test('runAsNonRoot missing in pod and container (restricted profile)', async () => {
    const problems = await problemsAfter('dev', async (root) => {
      await replace(STS, /\n {8}runAsNonRoot: true/, '')(root);
      await replace(STS, /\n {12}runAsNonRoot: true/, '')(root);
    });
    expectProblem(problems, STS, DEV_STS, 'spec.template.spec.containers[0].securityContext.runAsNonRoot', /must be true/);
  });

  test('a writable root filesystem', async () => {
    const problems = await problemsAfter('dev', replace(STS, 'readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: false'));
    expectProblem(problems, STS, DEV_STS, 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem', /must be true/);
  });

  test('an image not pinned by digest', async () => {
    const problems = await problemsAfter(
      'dev',
      replace('apps/visits/envs/dev/kustomization.yaml', /digest: sha256:[0-9a-f]{64}/, 'newTag: latest'),
    );
    expectProblem(
      problems,
      STS,
      DEV_STS,
      'spec.template.spec.containers[0].image',
      /"ghcr.io\/example\/visits:latest" is not pinned by digest/,
    );
  });

  test('PEER_SERVICE that does not follow the namespace', async () => {
    const problems = await problemsAfter('prod', replace('apps/visits/envs/prod/kustomization.yaml', /\nreplacements:[\s\S]*$/, '\n'));
    expectProblem(
      problems,
      STS,
      PROD_STS,
      'spec.template.spec.containers[0].env[3].value',
      /expected "visits-headless\.visits-prod\.svc\.cluster\.local"/,
    );
  });

  test('egress open to everything', async () => {
    const file = 'apps/visits/base/networkpolicy.yaml';
    const problems = await problemsAfter('dev', replace(file, '  egress:\n', '  egress:\n    - {}\n'));
    expectProblem(
      problems,
      file,
      'NetworkPolicy visits/visits (rendered from apps/visits/envs/dev)',
      'spec.egress[0]',
      /only to cluster DNS/,
    );
  });

  test('ingress that shuts Prometheus out while a ServiceMonitor scrapes the pods', async () => {
    const file = 'apps/visits/base/networkpolicy.yaml';
    const problems = await problemsAfter(
      'dev',
      replace(file, 'kubernetes.io/metadata.name: monitoring', 'kubernetes.io/metadata.name: observability'),
    );
    expectProblem(
      problems,
      file,
      'NetworkPolicy visits/visits (rendered from apps/visits/envs/dev)',
      'spec.ingress',
      /Prometheus \(namespace monitoring\) cannot reach/,
    );
  });

  test('Prometheus let in on http, not on monitor', async () => {
    const file = 'apps/visits/base/networkpolicy.yaml';
    const problems = await problemsAfter('dev', replace(file, '          port: monitor', '          port: http'));
    expectProblem(
      problems,
      file,
      'NetworkPolicy visits/visits (rendered from apps/visits/envs/dev)',
      'spec.ingress',
      /Prometheus \(namespace monitoring\) cannot reach the monitor port/,
    );
  });

  test('the ServiceMonitor scraping the public port', async () => {
    const file = 'apps/visits/components/monitoring/servicemonitor.yaml';
    const problems = await problemsAfter('dev', replace(file, 'port: monitor', 'port: http'));
    expectProblem(
      problems,
      file,
      'ServiceMonitor visits/visits (rendered from apps/visits/envs/dev)',
      'spec.endpoints[0].port',
      /\/metrics is served on monitor only/,
    );
  });

  test('the ServiceMonitor scraping every pod twice (both Services selected)', async () => {
    const problems = await problemsAfter(
      'dev',
      replace('apps/visits/base/service-headless.yaml', '  labels:\n', '  labels:\n    app.kubernetes.io/name: visits\n'),
    );
    expectProblem(
      problems,
      'apps/visits/components/monitoring/servicemonitor.yaml',
      'ServiceMonitor visits/visits (rendered from apps/visits/envs/dev)',
      'spec.selector',
      /scraped 2 times/,
    );
  });
});

describe('storage class (docs/deploy.md#storage-classes)', () => {
  test('the dev overlay naming a class (claims stay Pending on clusters without it)', async () => {
    const problems = await problemsAfter(
      'dev',
      replace(
        'apps/visits/envs/dev/kustomization.yaml',
        'patches:\n',
        'patches:\n  - target: { kind: StatefulSet, name: visits }\n    patch: |-\n      - { op: add, path: /spec/volumeClaimTemplates/0/spec/storageClassName, value: standard }\n',
      ),
    );
    expectProblem(
      problems,
      STS,
      DEV_STS,
      'spec.volumeClaimTemplates[0].spec.storageClassName',
      /"standard": dev uses the cluster's default/,
    );
  });

  test("a cluster naming a class in its own folder, as clusters/dev's comment shows, passes", async () => {
    const file = 'clusters/dev/kustomization.yaml';
    const problems = await problemsAfter('dev', async (root) => {
      const text = await readFile(join(root, file), 'utf8');
      const start = text.indexOf('  # - target: { kind: Application, name: visits }');
      if (start < 0) throw new Error(`${file}: the commented storage class example is gone`);
      await writeFile(join(root, file), text.slice(0, start) + text.slice(start).replace(/^ {2}# /gm, '  '));
    });
    expect(formatProblems(problems)).toBe('');
  });
});

describe('Argo CD traps (docs/deploy.md#argo-cd-traps)', () => {
  test('volumeClaimTemplates without apiVersion and kind', async () => {
    const problems = await problemsAfter(
      'dev',
      replace(STS, '    - apiVersion: v1\n      kind: PersistentVolumeClaim\n      metadata:', '    - metadata:'),
    );
    expectProblem(problems, STS, DEV_STS, 'spec.volumeClaimTemplates[0].apiVersion', /OutOfSync forever/);
    expectProblem(problems, STS, DEV_STS, 'spec.volumeClaimTemplates[0].kind', /OutOfSync forever/);
  });

  test('commonLabels in an overlay (written into immutable selectors)', async () => {
    const file = 'apps/visits/envs/dev/kustomization.yaml';
    const problems = await problemsAfter(
      'dev',
      replace(file, 'namespace: visits\n', 'namespace: visits\ncommonLabels:\n  team: counters\n'),
    );
    expectProblem(problems, file, 'Kustomization apps/visits/envs/dev', 'commonLabels', /immutable/);
    expectProblem(problems, STS, DEV_STS, 'spec.selector.matchLabels["team"]', /selectors are immutable/);
  });

  test('labels with includeSelectors', async () => {
    const file = 'apps/visits/envs/dev/kustomization.yaml';
    const problems = await problemsAfter(
      'dev',
      replace(file, 'namespace: visits\n', 'namespace: visits\nlabels:\n  - pairs:\n      team: counters\n    includeSelectors: true\n'),
    );
    expectProblem(problems, file, 'Kustomization apps/visits/envs/dev', 'labels[0].includeSelectors', /immutable/);
  });

  test('PVCs deleted with the StatefulSet', async () => {
    const problems = await problemsAfter('dev', replace(STS, 'whenDeleted: Retain', 'whenDeleted: Delete'));
    expectProblem(problems, STS, DEV_STS, 'spec.persistentVolumeClaimRetentionPolicy.whenDeleted', /must be Retain/);
  });

  test('an Application without ServerSideApply and prune', async () => {
    const problems = await problemsAfter('dev', async (root) => {
      await replace('clusters/base/visits.yaml', '      - ServerSideApply=true\n', '')(root);
      await replace('clusters/base/visits.yaml', 'prune: true', 'prune: false')(root);
    });
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.syncPolicy.syncOptions', /ServerSideApply=true/);
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.syncPolicy.automated.prune', /must be true/);
  });

  test('the visits Application synced in the same wave as the CRDs it needs', async () => {
    const problems = await problemsAfter('dev', replace('clusters/base/visits.yaml', "sync-wave: '1'", "sync-wave: '0'"));
    expectProblem(
      problems,
      'clusters/base/visits.yaml',
      DEV_APP,
      'metadata.annotations["argocd.argoproj.io/sync-wave"]',
      /later than kube-prometheus-stack/,
    );
  });

  test('monitoring CRs without SkipDryRunOnMissingResource', async () => {
    const problems = await problemsAfter(
      'dev',
      replace('apps/visits/envs/dev/kustomization.yaml', 'SkipDryRunOnMissingResource=true', 'Validate=true'),
    );
    expectProblem(
      problems,
      'apps/visits/components/monitoring/prometheusrule.yaml',
      'PrometheusRule visits/visits (rendered from apps/visits/envs/dev)',
      'metadata.annotations["argocd.argoproj.io/sync-options"]',
      /SkipDryRunOnMissingResource=true/,
    );
  });

  test('a chart version that is not pinned', async () => {
    const file = 'clusters/base/kube-prometheus-stack.yaml';
    const problems = await problemsAfter('dev', replace(file, /targetRevision: \d+\.\d+\.\d+/, 'targetRevision: 91.*'));
    expectProblem(
      problems,
      file,
      'Application argocd/kube-prometheus-stack (rendered from clusters/dev)',
      'spec.source.targetRevision',
      /pinned to an exact version/,
    );
  });

  test('a root Application that would cascade-delete everything below it', async () => {
    const file = 'clusters/base/root.yaml';
    const problems = await problemsAfter(
      'dev',
      replace(file, '  namespace: argocd\n', '  namespace: argocd\n  finalizers:\n    - resources-finalizer.argocd.argoproj.io\n'),
    );
    expectProblem(problems, file, 'Application argocd/root (rendered from clusters/dev)', 'metadata.finalizers', /must not carry/);
  });

  test("a cluster's root Application that syncs another cluster's folder", async () => {
    const problems = await problemsAfter(
      'dev',
      replace('clusters/dev/kustomization.yaml', 'value: clusters/dev }', 'value: clusters/prod }'),
    );
    expectProblem(
      problems,
      'clusters/base/root.yaml',
      'Application argocd/root (rendered from clusters/dev)',
      'spec.source.path',
      /must be clusters\/dev, the folder this root is applied from/,
    );
  });

  test('an Application that root may prune or delete', async () => {
    const file = 'clusters/base/visits.yaml';
    const problems = await problemsAfter('dev', replace(file, 'Prune=false,Delete=false', 'Prune=false'));
    expectProblem(problems, file, DEV_APP, 'metadata.annotations["argocd.argoproj.io/sync-options"]', /Delete=false/);
  });

  test('an AppProject open to any repository', async () => {
    const file = 'clusters/base/project.yaml';
    const problems = await problemsAfter('dev', replace(file, 'sourceRepos:\n', "sourceRepos:\n    - '*'\n"));
    expectProblem(problems, file, 'AppProject argocd/visits (rendered from clusters/dev)', 'spec.sourceRepos[0]', /no wildcards/);
  });

  test('an Application whose repository URL differs from the others', async () => {
    const problems = await problemsAfter(
      'dev',
      replace('clusters/base/visits.yaml', 'https://github.com/example/visits.git', 'https://github.com/fork/visits.git'),
    );
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.source.repoURL', /not in AppProject visits's sourceRepos/);
  });
});

describe("the projects' limits (docs/security.md#the-projects-limits)", () => {
  const PROJECT = 'clusters/base/project.yaml';
  const VISITS_PROJECT = 'AppProject argocd/visits (rendered from clusters/dev)';
  /** Commits `yaml` as a new file of apps/visits/base, listed in its kustomization. */
  const commitToApps = (file: string, yaml: string) => async (root: string) => {
    await writeFile(join(root, 'apps/visits/base', file), yaml);
    await replace('apps/visits/base/kustomization.yaml', '  - networkpolicy.yaml', `  - networkpolicy.yaml\n  - ${file}`)(root);
  };

  test('a Namespace committed into apps/ (taking over monitoring, or relabelling its own privileged)', async () => {
    const namespace =
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n  labels:\n    pod-security.kubernetes.io/enforce: privileged\n';
    const problems = await problemsAfter('dev', commitToApps('namespace.yaml', namespace));
    expectProblem(
      problems,
      'clusters/base/visits.yaml',
      DEV_APP,
      'spec.project',
      /does not permit Namespace .*apps\/visits\/base\/namespace\.yaml/,
    );
  });

  test('a Role committed into apps/ (a kind the project does not list)', async () => {
    const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: visits\nrules: []\n';
    const problems = await problemsAfter('dev', commitToApps('role.yaml', role));
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.project', /does not permit Role "visits"/);
  });

  test('the visits project allowed to create Namespaces again', async () => {
    const problems = await problemsAfter(
      'dev',
      replace(PROJECT, '  clusterResourceWhitelist: []', "  clusterResourceWhitelist:\n    - group: ''\n      kind: Namespace"),
    );
    expectProblem(problems, PROJECT, VISITS_PROJECT, 'spec.clusterResourceWhitelist', /must be empty/);
    expectProblem(problems, PROJECT, VISITS_PROJECT, 'spec.clusterResourceWhitelist[0]', /must name exactly one namespace/);
  });

  test('the visits project without namespaceResourceWhitelist (every namespaced kind allowed)', async () => {
    const problems = await problemsAfter('dev', replace(PROJECT, /\n {2}namespaceResourceWhitelist:\n( {4}.*\n)+/, '\n'));
    expectProblem(problems, PROJECT, VISITS_PROJECT, 'spec.namespaceResourceWhitelist', /must list the kinds/);
  });

  test('the monitoring project allowed any Namespace name', async () => {
    const file = 'clusters/base/project-monitoring.yaml';
    const problems = await problemsAfter('dev', replace(file, '      name: monitoring\n', ''));
    expectProblem(
      problems,
      file,
      'AppProject argocd/monitoring (rendered from clusters/dev)',
      'spec.clusterResourceWhitelist[0]',
      /must name exactly one/,
    );
  });

  test('the visits namespace made by nobody', async () => {
    const problems = await problemsAfter('dev', replace('clusters/base/kustomization.yaml', '  - namespace-visits.yaml\n', ''));
    expectProblem(problems, 'clusters/base/visits.yaml', DEV_APP, 'spec.syncPolicy.syncOptions', /nothing makes namespace "visits"/);
  });

  test('a cluster whose bootstrap project names another namespace than the one root makes', async () => {
    const problems = await problemsAfter(
      'prod',
      replace('clusters/prod/kustomization.yaml', /.*clusterResourceWhitelist\/0\/name.*\n/, ''),
    );
    expectProblem(
      problems,
      'clusters/base/root.yaml',
      'Application argocd/root (rendered from clusters/prod)',
      'spec.project',
      /does not permit Namespace "visits-prod"/,
    );
  });

  test('the visits namespace that root may prune (deleting every claim in it)', async () => {
    const file = 'clusters/base/namespace-visits.yaml';
    const problems = await problemsAfter('dev', replace(file, 'Prune=false,Delete=false', 'Delete=false'));
    expectProblem(
      problems,
      file,
      'Namespace visits (rendered from clusters/dev)',
      'metadata.annotations["argocd.argoproj.io/sync-options"]',
      /Prune=false/,
    );
  });
});
