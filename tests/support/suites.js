/**
 * What each test suite needs from the machine and from its neighbours: the one table that the
 * jest runner (phased-runner.js), the npm scripts (scripts/test-suites.mjs) and the CI jobs
 * read. Paths are relative to the repository root, matched as prefixes.
 *
 * - cluster: the ordered scenario against one shared cluster; runs last, alone, in file order.
 * - root: needs root for what the suite itself does to the kernel (a memory cgroup, a network
 *   namespace, a container engine's storage); the pull-request gate runs as an ordinary user,
 *   so these run in CI's privileged job, under sudo. (Suites that need root for one command,
 *   such as mounting a tmpfs, run it through sudo themselves: tests/support/privileged.ts.)
 * - alone: measures time or memory under load it makes: runs by itself, after the others, so
 *   that no other suite's load generator runs beside it, whatever the number of workers.
 * - tools: runs the cluster's own Go builds (Kubernetes, Argo CD: tools/build.sh, about 15 minutes
 *   cold on 4 cores) without a cluster. The pull-request gate builds only small tools, so these
 *   run where those builds are made anyway: npm test here, the kind scenario job on GitHub.
 */
const SUITES = {
  cluster: ['tests/cluster/'],
  tools: ['tests/argocd/'],
  root: [
    'tests/container/',
    'tests/faults/backpressure.test.ts',
    'tests/faults/soak.test.ts',
    'tests/faults/metrics-pipelining.test.ts',
    'tests/faults/unread-answers.test.ts',
  ],
  alone: [
    'tests/faults/backpressure.test.ts',
    'tests/faults/metrics-pipelining.test.ts',
    'tests/faults/idle-connections.test.ts',
    'tests/faults/unread-answers.test.ts',
    'tests/faults/soak.test.ts',
    'tests/faults/http-limits.test.ts',
    'tests/faults/crash-under-load.test.ts',
    // Its SLO alerts read the service's latency: beside other suites' load on a small machine, the
    // latency budget burns (seen with --maxWorkers=4 on 2 cores).
    'tests/monitoring/prometheus-e2e.test.ts',
    'tests/container/',
  ],
};

const { relative, sep } = require('node:path');
const ROOT = require('node:path').resolve(__dirname, '../..');

/** The repository-relative path of a test file, with forward slashes. */
const relativePath = (path) => relative(ROOT, path).split(sep).join('/');

/** Whether the test file at `path` (absolute) is of `kind`. */
const isKind = (kind, path) => SUITES[kind].some((prefix) => relativePath(path).startsWith(prefix));

/** Runs by itself, after the suites that may run side by side. */
const runsAlone = (path) => isKind('cluster', path) || isKind('alone', path);

module.exports = { SUITES, isKind, runsAlone, relativePath };
