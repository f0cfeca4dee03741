/**
 * The GitHub Actions workflows: actionlint (with shellcheck for the `run:` scripts), zizmor (their
 * security audit) and this repository's policy rules. Each linter, and every policy rule, is also
 * run on a mutated copy that breaks it, and must catch it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { actionlint, linterBin, zizmor } from './workflow-linters';
import {
  concurrencyViolations,
  parseWorkflow,
  permissionViolations,
  releaseConcurrencyViolations,
  releaseTriggerViolations,
  unpinnedUses,
} from './workflow-policy';

const DIR = join(REPO_ROOT, '.github/workflows');
const files = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (file: string): string => readFileSync(join(DIR, file), 'utf8');

let bin: string;
let scratch: string;

beforeAll(() => {
  bin = linterBin();
  scratch = mkdtempSync(join(tmpdir(), 'visits-workflows-'));
}, 900_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('workflows', () => {
  it('exist: ci, release, promote, e2e-kind', () => {
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'release.yml', 'promote.yml', 'e2e-kind.yml']));
  });

  it('pass actionlint, with shellcheck on every run: script', async () => {
    const paths = files.map((file) => join(DIR, file));
    expect(await actionlint(bin, paths)).toEqual([]);
  });

  it('pass zizmor (offline, regular persona)', async () => {
    expect(await zizmor(bin, [DIR])).toEqual([]);
  });

  it.each(files)('%s pins every action to a commit SHA with its version in a comment', (file) => {
    expect(unpinnedUses(text(file))).toEqual([]);
  });

  it.each(files)('%s has least-privilege permissions', (file) => {
    expect(permissionViolations(parseWorkflow(text(file)))).toEqual([]);
  });

  it.each(files)('%s has a concurrency group', (file) => {
    expect(concurrencyViolations(parseWorkflow(text(file)))).toEqual([]);
  });

  it('release runs on service changes to main and never on apps/** or clusters/** (the bump commits)', () => {
    const release = parseWorkflow(text('release.yml'));
    expect(releaseTriggerViolations(release)).toEqual([]);
    expect(releaseConcurrencyViolations(release)).toEqual([]);
  });

  it('CI audits the runtime dependencies (npm audit at high) before the tests, as a failing step', () => {
    const steps = (parseWorkflow(text('ci.yml')).jobs as Record<string, { steps?: Array<{ run?: string; 'continue-on-error'?: boolean }> }>)
      .gate?.steps;
    const audit = steps?.find((step) => step.run === 'npm run audit:deps');
    expect(audit).toBeDefined();
    expect(audit?.['continue-on-error']).toBeUndefined();
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['audit:deps']).toBe('npm audit --omit=dev --audit-level=high');
  });

  it('the pull-request gate runs as the runner user, within 15 minutes, the suites that need no root; the rest under sudo', () => {
    type Step = { run?: string; uses?: string; with?: Record<string, string> };
    const jobs = parseWorkflow(text('ci.yml')).jobs as Record<string, { 'timeout-minutes': number; steps: Step[] }>;
    const gate = jobs.gate!;
    expect(gate['timeout-minutes']).toBeLessThanOrEqual(15);
    const runs = gate.steps.flatMap((step) => (step.run ? [step.run] : []));
    expect(runs.filter((run) => /\bsudo\b/.test(run))).toEqual([]);
    expect(runs).toEqual(expect.arrayContaining(['npm run lint', 'npm run typecheck', 'npm run test:gate']));
    expect(jobs.privileged!.steps.map((step) => step.run ?? '').find((run) => run.includes('test:root'))).toMatch(/^sudo /);
  });

  it("the gate's tools cache is keyed by tools/build.sh's own key, of the modules the gate builds", () => {
    type Step = { run?: string; uses?: string; id?: string; with?: Record<string, string> };
    const steps = (parseWorkflow(text('ci.yml')).jobs as Record<string, { steps: Step[] }>).gate!.steps;
    const keyStep = steps.find((step) => step.id === 'tools');
    const build = steps.find((step) => /^bash tools\/build\.sh /.test(step.run ?? ''));
    const cache = steps.find((step) => String(step.uses).startsWith('actions/cache@'));
    const modules = (run: string | undefined) =>
      run
        ?.replace(/.*tools\/build\.sh (--key )?/, '')
        .replace(/\).*/, '')
        .trim();
    expect(modules(keyStep?.run)).toBe(modules(build?.run));
    expect(cache?.with?.path).toBe('~/.cache/visits-tools');
    expect(cache?.with?.key).toContain('${{ steps.tools.outputs.key }}');
    expect(steps.indexOf(cache!)).toBeLessThan(steps.indexOf(build!));
  });

  it('promotion can read the signature it verifies: packages: read and a GHCR login before cosign verify', () => {
    const job = (
      parseWorkflow(text('promote.yml')).jobs as Record<
        string,
        { permissions: Record<string, string>; steps: Array<{ uses?: string; run?: string }> }
      >
    ).promote;
    expect(job.permissions.packages).toBe('read');
    const login = job.steps.findIndex((step) => step.uses?.startsWith('docker/login-action@'));
    const verify = job.steps.findIndex((step) => step.run?.includes('cosign verify'));
    expect(login).toBeGreaterThanOrEqual(0);
    expect(login).toBeLessThan(verify);
  });

  it('the kind end to end builds its image from the very commit whose manifests Argo CD deploys', () => {
    const steps = (parseWorkflow(text('e2e-kind.yml')).jobs as Record<string, { steps: Array<Record<string, any>> }>).kind.steps; // eslint-disable-line @typescript-eslint/no-explicit-any -- workflow steps, read field by field
    const checkout = steps.find((step) => String(step.uses).startsWith('actions/checkout@'));
    const deploy = steps.find((step) => step.run === 'npm run cluster:up');
    expect(checkout?.with?.ref).toBe(deploy?.env?.REVISION);
  });

  it.each([
    ['release.yml', 'bump-dev'],
    ['promote.yml', 'promote'],
  ])('%s %s pushes to main with a GitHub App token when one is configured (protected main), GITHUB_TOKEN otherwise', (file, name) => {
    type Step = { uses?: string; id?: string; if?: string; with?: Record<string, string> };
    const job = (parseWorkflow(text(file)).jobs as Record<string, { env?: Record<string, string>; steps: Step[] }>)[name];
    const mint = job.steps.findIndex((step) => String(step.uses).startsWith('actions/create-github-app-token@'));
    const checkout = job.steps.findIndex((step) => String(step.uses).startsWith('actions/checkout@'));
    expect(mint).toBeGreaterThanOrEqual(0);
    expect(mint).toBeLessThan(checkout);
    expect(job.steps[mint]).toMatchObject({ id: 'app-token', if: "env.GITOPS_APP_ID != ''" });
    expect(job.steps[mint].with).toMatchObject({ 'permission-contents': 'write', 'private-key': '${{ secrets.GITOPS_APP_PRIVATE_KEY }}' });
    expect(job.steps[checkout].with?.token).toBe('${{ steps.app-token.outputs.token || github.token }}');
    expect(job.env?.GITOPS_APP_ID).toBe('${{ secrets.GITOPS_APP_ID }}');
  });

  it('a release run by hand from another branch never bumps dev (workflow_dispatch is allowed on any ref)', () => {
    const release = parseWorkflow(text('release.yml'));
    expect(Object.keys(release.on as Record<string, unknown>)).toContain('workflow_dispatch');
    const jobs = release.jobs as Record<string, { if?: string }>;
    expect(jobs['bump-dev'].if).toBe("github.ref == 'refs/heads/main'");
  });

  it('release tests before it builds, and bumps only after the image job (which signs) succeeded', () => {
    const jobs = parseWorkflow(text('release.yml')).jobs as Record<string, { needs?: string | string[]; uses?: string }>;
    expect(jobs.test.uses).toBe('./.github/workflows/ci.yml');
    expect([jobs.image.needs].flat()).toContain('test');
    expect([jobs['bump-dev'].needs].flat()).toContain('image');
    expect(text('release.yml')).toMatch(/cosign sign --yes/);
    expect(text('ci.yml')).toMatch(/workflow_call:/);
  });
});

describe('each linter catches a fault planted in a copy of a workflow', () => {
  // shellcheck runs inside actionlint, which reports its findings by their SC code.
  const lint = { actionlint, shellcheck: actionlint, zizmor };
  it.each<{ tool: keyof typeof lint; fault: string; file: string; plant: (text: string) => string; rule: string }>([
    {
      tool: 'actionlint',
      fault: 'an unknown context property',
      file: 'ci.yml',
      plant: (t) => t.replace('github.ref }}', 'github.refname }}'),
      rule: 'expression',
    },
    {
      tool: 'actionlint',
      fault: 'a timeout that is not a number',
      file: 'ci.yml',
      plant: (t) => t.replace('timeout-minutes: 15', 'timeout-minutes: soon'),
      rule: 'syntax-check',
    },
    {
      tool: 'shellcheck',
      fault: 'an unquoted variable in run:',
      file: 'ci.yml',
      plant: (t) => t.replace('bash scripts/setup-machine.sh gate', 'bash scripts/setup-machine.sh $PART'),
      rule: 'SC2086',
    },
    {
      tool: 'zizmor',
      fault: 'a pull request title expanded into run:',
      file: 'ci.yml',
      plant: (t) => t.replace('run: npm run lint', 'run: echo "${{ github.event.pull_request.title }}"'),
      rule: 'template-injection',
    },
    {
      tool: 'zizmor',
      fault: 'a checkout that keeps its token',
      file: 'ci.yml',
      plant: (t) => t.replace(/ {8}with:\n {10}persist-credentials: false\n/, ''),
      rule: 'artipacked',
    },
    {
      tool: 'zizmor',
      fault: 'an action by tag',
      file: 'release.yml',
      plant: (t) => t.replace(/docker\/login-action@\S+ # v[\d.]+/, 'docker/login-action@v3'),
      rule: 'unpinned-uses',
    },
    {
      tool: 'zizmor',
      fault: 'write-all on a job',
      file: 'ci.yml',
      plant: (t) => t.replace('timeout-minutes: 15\n', 'timeout-minutes: 15\n    permissions: write-all\n'),
      rule: 'excessive-permissions',
    },
  ])('$tool: $fault ($rule)', async ({ tool, file, plant, rule }) => {
    const planted = plant(text(file));
    expect(planted).not.toBe(text(file));
    const dir = join(scratch, rule, '.github', 'workflows');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), planted);
    expect(await lint[tool](bin, [join(dir, file)])).toContainEqual(expect.objectContaining({ rule }));
  });
});

describe('each policy rule catches a mutated copy', () => {
  const ci = text('ci.yml');
  const release = text('release.yml');

  it('a tag instead of a SHA, a short SHA, a missing version comment', () => {
    const sha = /actions\/checkout@[0-9a-f]{40} # v[\d.]+/;
    expect(ci).toMatch(sha);
    expect(unpinnedUses(ci.replace(sha, 'actions/checkout@v4'))).toHaveLength(1);
    expect(unpinnedUses(ci.replace(sha, 'actions/checkout@11bd719'))).toHaveLength(1);
    expect(unpinnedUses(ci.replace(sha, (m) => m.replace(/ # v[\d.]+/, '')))).toHaveLength(1);
  });

  it('no top-level permissions, write-all, a write scope at the top, an unneeded write scope on a job', () => {
    expect(permissionViolations(parseWorkflow(ci.replace(/^permissions:\n {2}contents: read\n/m, '')))).toContain(
      'no top-level permissions',
    );
    expect(
      permissionViolations(parseWorkflow(ci.replace(/^permissions:\n {2}contents: read\n/m, 'permissions: write-all\n'))),
    ).toHaveLength(1);
    expect(
      permissionViolations(parseWorkflow(ci.replace(/^permissions:\n {2}contents: read\n/m, 'permissions:\n  contents: write\n'))),
    ).toHaveLength(1);
    expect(permissionViolations(parseWorkflow(release.replace('packages: write', 'packages: write\n      actions: write')))).toHaveLength(
      1,
    );
  });

  it('no concurrency group', () => {
    expect(concurrencyViolations(parseWorkflow(ci.replace(/^concurrency:\n( {2}.*\n)+/m, '')))).toHaveLength(1);
  });

  it('release without the apps/** or clusters/** exclusion, on every path, or cancelling itself', () => {
    expect(releaseTriggerViolations(parseWorkflow(release.replace("      - '!apps/**'\n", '')))).toEqual([
      'release does not ignore apps/**',
    ]);
    expect(releaseTriggerViolations(parseWorkflow(release.replace("      - '!clusters/**'\n", '')))).toEqual([
      'release does not ignore clusters/**',
    ]);
    expect(releaseTriggerViolations(parseWorkflow(release.replace("      - 'service/**'", "      - '**'")))).not.toEqual([]);
    expect(
      releaseConcurrencyViolations(parseWorkflow(release.replace('cancel-in-progress: false', 'cancel-in-progress: true'))),
    ).toHaveLength(1);
  });
});
