/**
 * CI's split of the suites (scripts/test-suites.mjs, from tests/support/suites.js): the gate,
 * which runs as an ordinary user with only small Go tools, lists no suite that needs root, a
 * cluster or the cluster's Go builds; each other part lists exactly its own.
 */
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { runOrThrow } from '../support/run-command';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS table jest's runner reads
const { SUITES } = require('../support/suites.js') as { SUITES: Record<'cluster' | 'root' | 'tools' | 'alone', string[]> };

jest.setTimeout(120_000);

/** The test files a part runs, repository-relative: jest --listTests through the same script. */
async function listed(part: string): Promise<string[]> {
  const out = await runOrThrow(process.execPath, [join(REPO_ROOT, 'scripts/test-suites.mjs'), part, '--listTests'], { cwd: REPO_ROOT });
  return out
    .split('\n')
    .filter((line) => line.endsWith('.ts'))
    .map((file) => relative(REPO_ROOT, file))
    .sort();
}

const of = (kind: keyof typeof SUITES, files: string[]) => files.filter((f) => SUITES[kind].some((prefix) => f.startsWith(prefix)));

let all: string[];
beforeAll(async () => {
  all = await listed('all');
});

test('the gate runs every suite but those that need root, a cluster or its Go builds', async () => {
  const gate = await listed('gate');
  const excluded = [...of('cluster', all), ...of('root', all), ...of('tools', all)];
  expect(of('tools', all)).toContain('tests/argocd/health-checks.test.ts');
  expect(gate).toEqual(all.filter((f) => !excluded.includes(f)));
});

test.each(['root', 'tools', 'cluster'] as const)('the %s part runs exactly its suites', async (part) => {
  expect(await listed(part)).toEqual(of(part, all));
});
