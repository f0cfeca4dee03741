#!/usr/bin/env node
// Runs one part of the test suites, as CI's jobs split them (tests/support/suites.js says which
// suite needs what). Extra arguments go to jest (e.g. --maxWorkers=4).
//
//   node scripts/test-suites.mjs gate      every suite that needs neither root, nor a cluster, nor its
//                                          Go builds: the pull-request gate, run as an ordinary user
//   node scripts/test-suites.mjs root      the suites that need root (containers, memory cgroups,
//                                          network namespaces): CI runs them under sudo
//   node scripts/test-suites.mjs cluster   the ordered scenario against the real local cluster
//   node scripts/test-suites.mjs tools     the suites that run the cluster's Go builds (Argo CD,
//                                          Kubernetes) without a cluster
//   node scripts/test-suites.mjs all       everything, as npm test does after its setup steps
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { SUITES } = createRequire(import.meta.url)(join(ROOT, 'tests/support/suites.js'));
const escape = (path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anchored = (prefix) => `^${escape(join(ROOT, prefix))}`;

const PARTS = {
  gate: [
    '--selectProjects',
    'service',
    'repo',
    '--testPathIgnorePatterns',
    '/node_modules/',
    ...[...SUITES.cluster, ...SUITES.root, ...SUITES.tools].map(anchored),
  ],
  root: ['--selectProjects', 'repo', '--', ...SUITES.root.map(anchored)],
  cluster: ['--selectProjects', 'cluster'],
  tools: ['--selectProjects', 'repo', '--', ...SUITES.tools.map(anchored)],
  all: [],
};

const [part, ...extra] = process.argv.slice(2);
if (!PARTS[part]) {
  console.error(`usage: test-suites.mjs ${Object.keys(PARTS).join('|')} [jest arguments]`);
  process.exit(2);
}
const args = PARTS[part].includes('--') ? [...extra, ...PARTS[part]] : [...PARTS[part], ...extra];
const jest = spawnSync(process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), ...args], { cwd: ROOT, stdio: 'inherit' });
process.exit(jest.status ?? 1);
