/**
 * scripts/set-repo.mjs, the one command a fork runs to point Argo CD and the overlays at
 * itself: run for real on a copy of the repository, then the copy is rendered and validated.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probePaths } from './lib/pod-checks';
import { formatProblems } from './lib/problems';
import { isRepoSource, loadRepository } from './lib/repository';
import { stopModelValidator } from './lib/schema';
import { RouteOracle } from './lib/service-routes';
import { validateRepository } from './lib/validate-repository';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand, type CommandResult } from '../support/run-command';

const SCRIPT = join(REPO_ROOT, 'scripts/set-repo.mjs');
const COPIED = ['apps', 'clusters', 'argocd', 'monitoring', 'tests/monitoring', 'service/Dockerfile'];

let copy: string;

const run = (args: string[]): Promise<CommandResult> => runCommand(process.execPath, [SCRIPT, ...args], { timeoutMs: 30_000 });

async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return text;
}

beforeEach(async () => {
  copy = await mkdtemp(join(tmpdir(), 'visits-set-repo-'));
  await mkdir(join(copy, 'tests'), { recursive: true });
  await mkdir(join(copy, 'service'), { recursive: true });
  await Promise.all(COPIED.map((p) => cp(join(REPO_ROOT, p), join(copy, p), { recursive: true })));
});

afterEach(async () => {
  await rm(copy, { recursive: true, force: true });
});

afterAll(async () => {
  await stopModelValidator();
});

test('--show prints the values the manifests use now', async () => {
  const { code, stdout } = await run(['--show']);
  expect(code).toBe(0);
  expect(stdout).toBe('repo: https://github.com/example/visits.git\nrevision: main\nimage: ghcr.io/example/visits\n');
});

test('sets repository, revision and image everywhere, and the result still renders and validates', async () => {
  const { code, stdout } = await run([
    '--root',
    copy,
    '--repo',
    'https://github.com/alice/visits.git',
    '--revision',
    'stable',
    '--image',
    'ghcr.io/alice/visits',
  ]);
  expect(code).toBe(0);
  expect(stdout).toContain('repo: https://github.com/alice/visits.git\nrevision: stable\nimage: ghcr.io/alice/visits\n');

  const text = await allText(copy);
  expect(text).not.toMatch(/github\.com\/example\/visits|ghcr\.io\/example\/visits/);
  expect(text).toContain('https://github.com/alice/visits/blob/stable/docs/runbooks.md#');

  const repo = await loadRepository(copy);
  const oracle = await RouteOracle.start();
  try {
    expect(formatProblems(await validateRepository(repo, await oracle.statuses(probePaths(repo.objects))))).toBe('');
  } finally {
    await oracle.stop();
  }
  const own = repo.sources.filter(isRepoSource);
  expect(own.length).toBeGreaterThanOrEqual(4);
  for (const s of own) expect([s.repoURL, s.targetRevision]).toEqual(['https://github.com/alice/visits.git', 'stable']);
  const chart = repo.sources.find((s) => s.chart === 'kube-prometheus-stack')!;
  expect(chart.repoURL).toBe('https://prometheus-community.github.io/helm-charts');
  expect(chart.targetRevision).toMatch(/^\d+\.\d+\.\d+$/);
  const sts = repo.objects.filter((o) => o.doc.kind === 'StatefulSet');
  for (const s of sts) expect(s.doc.spec.template.spec.containers[0].image).toMatch(/^ghcr\.io\/alice\/visits@sha256:/);
}, 60_000);

test('refuses a malformed URL and changes nothing', async () => {
  const before = await allText(copy);
  const { code, stderr } = await run(['--root', copy, '--repo', 'not a url']);
  expect(code).toBe(2);
  expect(stderr).toContain('--repo must be an https://, ssh:// or git@ URL (http:// only on loopback), got not a url');
  expect(await allText(copy)).toBe(before);
});

test("takes plain http:// on loopback only (the local cluster's remote)", async () => {
  const before = await allText(copy);
  const remote = await run(['--root', copy, '--repo', 'http://example.com/visits.git']);
  expect(remote.code).toBe(2);
  expect(remote.stderr).toContain('(http:// only on loopback), got http://example.com/visits.git');
  expect(await allText(copy)).toBe(before);
  const local = await run(['--root', copy, '--repo', 'http://127.0.0.1:18090/visits.git']);
  expect(local.code).toBe(0);
  expect(local.stdout).toContain('repo: http://127.0.0.1:18090/visits.git');
});
