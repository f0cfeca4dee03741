/**
 * The pipeline's scripts that can run without GitHub or a cluster: the digest bump (on temporary
 * copies of the real overlays, rendered afterwards with the real `kubectl kustomize`), the
 * end-to-end Application generator, the smoke script's command line, and the push retry loop
 * (against real local git repositories).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/service-process';
import { REPO_ROOT } from '../support/repo-root';

const node = (args: string[], cwd = REPO_ROOT) => spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000 });
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('scripts/image-digest.mjs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir('visits-digest-');
    cpSync(join(REPO_ROOT, 'apps'), join(dir, 'apps'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const overlay = (env: string) => join(dir, 'apps/visits/envs', env);
  const file = (env: string) => join(overlay(env), 'kustomization.yaml');
  const script = join(REPO_ROOT, 'scripts/image-digest.mjs');

  it('sets dev digest, changing that one line only, and kustomize renders the pinned image', () => {
    const before = readFileSync(file('dev'), 'utf8');
    const result = node([script, 'set', overlay('dev'), DIGEST_A]);
    expect(result.status).toBe(0);
    const after = readFileSync(file('dev'), 'utf8');
    const changed = after.split('\n').filter((line, i) => line !== before.split('\n')[i]);
    expect(changed).toEqual([`    digest: ${DIGEST_A}`]);
    expect(after.split('\n')).toHaveLength(before.split('\n').length);
    const rendered = execFileSync('kubectl', ['kustomize', overlay('dev')], { encoding: 'utf8', timeout: 60_000 });
    expect(rendered).toContain(`image: ghcr.io/example/visits@${DIGEST_A}`);
    expect(node([script, 'get', overlay('dev')]).stdout.trim()).toBe(DIGEST_A);
    expect(node([script, 'repo', overlay('dev')]).stdout.trim()).toBe('ghcr.io/example/visits');
  }, 90_000);

  it('copies dev to prod (promotion) and leaves dev alone', () => {
    expect(node([script, 'set', overlay('dev'), DIGEST_B]).status).toBe(0);
    const dev = readFileSync(file('dev'), 'utf8');
    expect(node([script, 'copy', overlay('dev'), overlay('prod')]).status).toBe(0);
    expect(node([script, 'get', overlay('prod')]).stdout.trim()).toBe(DIGEST_B);
    expect(readFileSync(file('dev'), 'utf8')).toBe(dev);
  });

  it('refuses a malformed digest, a missing images entry and a bad command, changing nothing', () => {
    const before = readFileSync(file('dev'), 'utf8');
    for (const bad of ['sha256:abc', `sha512:${'a'.repeat(64)}`, `SHA256:${'A'.repeat(64)}`, 'latest']) {
      const result = node([script, 'set', overlay('dev'), bad]);
      expect({ bad, status: result.status }).toEqual({ bad, status: 2 });
      expect(result.stderr).toMatch(/not an image digest/);
    }
    const other = node([script, '--name', 'other', 'set', overlay('dev'), DIGEST_A]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/no images entry named "other"/);
    expect(node([script, 'bump', overlay('dev')]).status).toBe(2);
    expect(readFileSync(file('dev'), 'utf8')).toBe(before);
  });

  it('says so when the digest is already there', () => {
    node([script, 'set', overlay('dev'), DIGEST_A]);
    expect(node([script, 'set', overlay('dev'), DIGEST_A]).stdout).toMatch(/already/);
  });
});

describe('scripts/lib/e2e-application.mjs', () => {
  it("points the dev Application at a commit and a loaded image, keeping the dev app's sync policy", () => {
    const result = node([
      join(REPO_ROOT, 'scripts/lib/e2e-application.mjs'),
      '--repo',
      'https://github.com/fork/visits.git',
      '--revision',
      'abc123',
      '--image',
      'localhost/visits:e2e-abc123',
    ]);
    expect(result.status).toBe(0);
    const app = JSON.parse(result.stdout);
    expect(app.kind).toBe('Application');
    expect(app.spec.source).toMatchObject({
      repoURL: 'https://github.com/fork/visits.git',
      targetRevision: 'abc123',
      path: 'apps/visits/envs/dev',
      kustomize: { images: ['visits=localhost/visits:e2e-abc123'] },
    });
    expect(app.spec.syncPolicy.automated).toBeDefined();
    expect(app.spec.destination.namespace).toBe('visits');
  });

  it('requires all three arguments', () => {
    const result = node([join(REPO_ROOT, 'scripts/lib/e2e-application.mjs'), '--repo', 'x']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--revision is required/);
  });
});

describe('scripts/smoke.mjs command line', () => {
  const smoke = (...args: string[]) => node([join(REPO_ROOT, 'scripts/smoke.mjs'), ...args]);
  it('prints usage with --help', () => {
    const result = smoke('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/--context NAME/);
  });
  it.each([
    [[], /--context is required/],
    [['--context', 'k', '--replicas', 'two'], /--replicas must be an integer/],
    [['--context', 'k', '--replicas', '1'], /--replicas must be an integer >= 2/],
    [['--context', 'k', '--size', '128MB'], /--size must look like/],
    [['--context', 'k', '--namespace', 'Bad_NS'], /--namespace is not a namespace name/],
    [['--context', 'k', '--colour'], /Unknown option/],
  ])('rejects %j with exit 2 and one reason', (args, reason) => {
    const result = smoke(...(args as string[]));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(reason as RegExp);
  });
});

describe('scripts/git-push-retry.sh', () => {
  let dir: string;
  beforeEach(async () => (dir = await makeTempDir('visits-push-')));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('rebases onto a push that got there first and then pushes', () => {
    const origin = join(dir, 'origin.git');
    git(dir, 'init', '--bare', '--initial-branch=main', origin);
    git(dir, 'clone', origin, 'a');
    const a = join(dir, 'a');
    writeFileSync(join(a, 'dev.txt'), 'digest 0\n');
    writeFileSync(join(a, 'other.txt'), 'x\n');
    git(a, 'add', '.');
    git(a, 'commit', '-m', 'init');
    git(a, 'push', 'origin', 'main');
    git(dir, 'clone', origin, 'b');
    const b = join(dir, 'b');
    // b: someone else's push lands first
    writeFileSync(join(b, 'other.txt'), 'y\n');
    git(b, 'commit', '-am', 'other change');
    git(b, 'push', 'origin', 'main');
    // a: the bump, based on the old main
    writeFileSync(join(a, 'dev.txt'), 'digest 1\n');
    git(a, 'commit', '-am', 'bump');
    const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/git-push-retry.sh'), 'main'], {
      cwd: a,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@example.invalid',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@example.invalid',
      },
    });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/push rejected \(attempt 1\)/);
    const log = git(origin, 'log', '--format=%s', 'main').trim().split('\n');
    expect(log).toEqual(['bump', 'other change', 'init']);
  }, 90_000);
});
