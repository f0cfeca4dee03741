/**
 * The cluster tests' contract (docs/local-cluster.md#the-test-contract): a cluster the tests did
 * not start is described by the environment, every name of it, and both providers print each name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT, externalCluster } from '../cluster/support/cluster';
import { REPO_ROOT } from '../support/repo-root';

const complete: NodeJS.ProcessEnv = {
  PATH: '/usr/bin',
  KUBECONFIG: '/tmp/kubeconfig',
  VISITS_GIT_REMOTE: '/tmp/visits.git',
  ARGOCD_SERVER: '127.0.0.1:18080',
  ARGOCD_METRICS: '127.0.0.1:18082',
  VISITS_TOOLS_BIN: '/cache/bin',
  VISITS_CLUSTER_NODES: 'real',
  VISITS_NODE_EXEC: 'docker',
  VISITS_CONTAINERD_SOCKET: '/run/containerd/containerd.sock',
  VISITS_CLUSTER_OFFLINE: '0',
  VISITS_IMAGE_DIGEST: `sha256:${'a'.repeat(64)}`,
  VISITS_IMAGE_NEXT_DIGEST: `sha256:${'b'.repeat(64)}`,
};

test('an empty environment is refused, naming every part of the contract', () => {
  expect(() => externalCluster({})).toThrow(new RegExp(CONTRACT.join(', ')));
});

test('each missing name is named, and real nodes need the two image digests', () => {
  for (const name of CONTRACT) {
    expect(() => externalCluster({ ...complete, [name]: undefined })).toThrow(`lacks ${name}`);
  }
  expect(() => externalCluster({ ...complete, VISITS_IMAGE_NEXT_DIGEST: '' })).toThrow(/VISITS_IMAGE_DIGEST and VISITS_IMAGE_NEXT_DIGEST/);
  expect(() => externalCluster({ ...complete, VISITS_CLUSTER_NODES: 'kwok', VISITS_IMAGE_DIGEST: '' })).not.toThrow();
});

test('a node access the tests do not know is refused', () => {
  expect(() => externalCluster({ ...complete, VISITS_NODE_EXEC: 'ssh' })).toThrow('VISITS_NODE_EXEC must be host or docker, not ssh');
});

test('a complete contract is taken as given, with the tools first on PATH', () => {
  expect(externalCluster(complete)).toEqual({ ...complete, PATH: '/cache/bin:/usr/bin' });
});

test.each([
  ['the local cluster', 'scripts/cluster-local/main.sh'],
  ['kind', 'scripts/cluster-kind.sh'],
])('%s prints every name of the contract from its env command', (_, script) => {
  const text = readFileSync(join(REPO_ROOT, script), 'utf8');
  const env = text.slice(text.indexOf('cmd_env() {'), text.indexOf('\n}\n', text.indexOf('cmd_env() {')));
  const printed = [...env.matchAll(/echo "export (\w+)=/g)].map((m) => m[1]);
  expect(CONTRACT.filter((name) => !printed.includes(name))).toEqual([]);
});
