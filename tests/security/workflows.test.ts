import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../support/repo-root';
import { workflowProblems } from './support/workflow-checks';

/**
 * The workflow rules tests/pipeline leaves out (it checks SHA pinning and token permissions):
 * no pull_request_target, no script injection from event text, docker step images by digest,
 * no `secrets: inherit`. A good workflow and mutated copies show that each rule can fail.
 */
const WORKFLOWS = join(REPO_ROOT, '.github/workflows');
const files = existsSync(WORKFLOWS) ? readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)) : [];

test('the repository has workflows to check', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files.length ? files : ['(none)'])('%s: no pull_request_target, no script injection, images by digest', async (file) => {
  if (file === '(none)') throw new Error('no workflow files in .github/workflows');
  const doc = parse(await readFile(join(WORKFLOWS, file), 'utf8'));
  expect(workflowProblems(doc, file)).toEqual([]);
});

describe('the checks themselves', () => {
  const sha = 'a'.repeat(40);
  const good = () => ({
    name: 'ci',
    on: { push: { branches: ['main'] }, pull_request: {} },
    permissions: { contents: 'read' },
    jobs: {
      test: {
        'runs-on': 'ubuntu-24.04',
        steps: [
          { uses: `actions/checkout@${sha}` },
          { uses: `docker://alpine@sha256:${'b'.repeat(64)}` },
          { run: 'echo "$TITLE"', env: { TITLE: '${{ github.event.pull_request.title }}' } },
        ],
      } as Record<string, unknown> & { steps: Array<Record<string, unknown>> },
      reuse: { uses: `example/pipelines/.github/workflows/build.yml@${sha}`, secrets: { token: '${{ secrets.TOKEN }}' } } as Record<
        string,
        unknown
      >,
    },
  });

  test('a good workflow passes', () => {
    expect(workflowProblems(good(), 'good.yml')).toEqual([]);
  });

  const mutants: Array<[string, (w: ReturnType<typeof good>) => void, RegExp]> = [
    ['pull_request_target', (w) => ((w.on as Record<string, unknown>).pull_request_target = {}), /pull_request_target/],
    [
      'a PR title in a run script',
      (w) => w.jobs.test.steps.push({ run: 'echo "${{ github.event.pull_request.title }}"' }),
      /attacker-controlled/,
    ],
    [
      'a branch name in a run script',
      (w) => w.jobs.test.steps.push({ run: 'git push origin ${{ github.head_ref }}' }),
      /attacker-controlled/,
    ],
    [
      'a commit message in a run script',
      (w) => w.jobs.test.steps.push({ run: 'echo ${{ github.event.head_commit.message }}' }),
      /attacker-controlled/,
    ],
    ['a docker image by tag', (w) => (w.jobs.test.steps[1]!.uses = 'docker://alpine:3.20'), /sha256 digest/],
    ['secrets: inherit', (w) => (w.jobs.reuse.secrets = 'inherit'), /secrets: inherit/],
  ];
  test.each(mutants)('catches %s', (_name, mutate, expected) => {
    const workflow = good();
    mutate(workflow);
    expect(workflowProblems(workflow, 'mutant.yml').join('\n')).toMatch(expected);
  });
});
