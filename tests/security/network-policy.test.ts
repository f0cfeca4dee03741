import { join } from 'node:path';
import { kustomize } from '../support/kustomize';
import { admitted, type Connection, type Doc, type Endpoint } from './support/network-policy';
import { REPO_ROOT } from '../support/repo-root';

/**
 * The rendered NetworkPolicies, judged by what they let through rather than by their shape:
 * concrete connections into and out of a visits pod are evaluated with NetworkPolicy semantics
 * (policies add up; a selected pod is isolated). The peers reach port http, Prometheus from the
 * monitoring namespace port monitor (probes and /metrics); the pods reach cluster DNS and their
 * peers; nothing else passes.
 * Mutated copies of the policy must break these expectations, or the check proves nothing.
 * (The pod security checks of the restricted profile live in tests/manifests.)
 */
jest.setTimeout(60_000);

const ENVS = ['apps/visits/envs/dev', 'apps/visits/envs/prod'];

interface Flow {
  name: string;
  connection: Connection;
  admit: boolean;
}

/** The traffic a visits pod meets in a cluster, and whether it must pass. */
function flows(objects: Doc[]): Flow[] {
  const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'visits');
  if (!sts) throw new Error('no StatefulSet visits in the render');
  const namespace: string = sts.metadata.namespace;
  const podLabels: Record<string, string> = { ...sts.spec.template.metadata.labels, 'apps.kubernetes.io/pod-index': '0' };
  const ports: Record<string, number> = Object.fromEntries(
    sts.spec.template.spec.containers.flatMap((c: Doc) =>
      (c.ports ?? []).filter((p: Doc) => p.name).map((p: Doc) => [p.name, p.containerPort]),
    ),
  );
  const { http, monitor } = ports;
  if (http === undefined || monitor === undefined) throw new Error('the visits container needs ports named http and monitor');

  const pod: Endpoint = { namespace, podLabels, ip: '10.244.1.10', ports };
  const peer: Endpoint = { namespace, podLabels: { ...podLabels, 'apps.kubernetes.io/pod-index': '1' }, ip: '10.244.2.11', ports };
  const prometheus: Endpoint = {
    namespace: 'monitoring',
    podLabels: { 'app.kubernetes.io/name': 'prometheus', prometheus: 'kube-prometheus-stack-prometheus' },
    ip: '10.244.3.5',
    ports: { 'http-web': 9090 },
  };
  const strayPrometheus: Endpoint = { namespace: 'default', podLabels: { 'app.kubernetes.io/name': 'prometheus' }, ip: '10.244.4.9' };
  const grafana: Endpoint = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'grafana' }, ip: '10.244.3.6' };
  const kubeDns: Endpoint = {
    namespace: 'kube-system',
    podLabels: { 'k8s-app': 'kube-dns' },
    ip: '10.244.0.2',
    ports: { dns: 53, 'dns-tcp': 53 },
  };
  const kubeProxy: Endpoint = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-proxy' }, ip: '10.244.0.3' };
  const otherApp: Endpoint = { namespace: 'default', podLabels: { app: 'curl' }, ip: '10.244.4.7' };
  const otherVisits: Endpoint = { namespace: 'someone-else', podLabels, ip: '10.244.4.8', ports };
  const ingress: Endpoint = { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' }, ip: '10.244.5.2' };
  const debug: Endpoint = { namespace, podLabels: { run: 'debug' }, ip: '10.244.1.99' };
  const internet: Endpoint = { namespace: '', ip: '203.0.113.7' };
  const publicDns: Endpoint = { namespace: '', ip: '8.8.8.8' };
  const apiServer: Endpoint = { namespace: '', ip: '172.18.0.2' };
  const metadata: Endpoint = { namespace: '', ip: '169.254.169.254' };
  const nodeLocalDns: Endpoint = { namespace: '', ip: '169.254.20.10' };

  const flow = (name: string, from: Endpoint, to: Endpoint, protocol: Connection['protocol'], port: number, admit: boolean): Flow => ({
    name,
    connection: { from, to, protocol, port },
    admit,
  });
  return [
    // Into a visits pod.
    flow('Prometheus (monitoring) -> pod monitor', prometheus, pod, 'TCP', monitor, true),
    flow('peer -> pod http', peer, pod, 'TCP', http, true),
    // Each to its own port: Prometheus needs no API, the peers no probes or metrics.
    flow('Prometheus (monitoring) -> pod http', prometheus, pod, 'TCP', http, false),
    flow('peer -> pod monitor', peer, pod, 'TCP', monitor, false),
    // Only the peers and Prometheus: not even another pod of the same namespace.
    flow('other pod in the same namespace -> pod http', debug, pod, 'TCP', http, false),
    flow('other pod in the same namespace -> pod monitor', debug, pod, 'TCP', monitor, false),
    flow('Grafana (monitoring) -> pod monitor', grafana, pod, 'TCP', monitor, false),
    flow('a Prometheus-labelled pod in another namespace -> pod monitor', strayPrometheus, pod, 'TCP', monitor, false),
    flow('ingress controller -> pod monitor', ingress, pod, 'TCP', monitor, false),
    flow('Grafana (monitoring) -> pod http', grafana, pod, 'TCP', http, false),
    flow('a Prometheus-labelled pod in another namespace -> pod http', strayPrometheus, pod, 'TCP', http, false),
    flow('Prometheus -> pod on another port', prometheus, pod, 'TCP', 9229, false),
    flow('peer -> pod UDP on the http port number', peer, pod, 'UDP', http, false),
    flow('Grafana (monitoring) -> pod on another port', grafana, pod, 'TCP', 22, false),
    flow('pod in namespace default -> pod http', otherApp, pod, 'TCP', http, false),
    flow('visits-labelled pod in another namespace -> pod http', otherVisits, pod, 'TCP', http, false),
    flow('ingress controller -> pod http', ingress, pod, 'TCP', http, false),
    flow('kube-proxy (kube-system) -> pod http', kubeProxy, pod, 'TCP', http, false),
    flow('outside address -> pod http', internet, pod, 'TCP', http, false),
    // Out of a visits pod.
    flow('pod -> cluster DNS UDP 53', pod, kubeDns, 'UDP', 53, true),
    flow('pod -> cluster DNS TCP 53', pod, kubeDns, 'TCP', 53, true),
    flow('pod -> peer http', pod, peer, 'TCP', http, true),
    flow('pod -> NodeLocal DNSCache UDP 53', pod, nodeLocalDns, 'UDP', 53, true),
    flow('pod -> NodeLocal DNSCache TCP 53', pod, nodeLocalDns, 'TCP', 53, true),
    flow('pod -> NodeLocal DNSCache on another port', pod, nodeLocalDns, 'TCP', 8080, false),
    flow('pod -> another link-local address on 53', pod, metadata, 'UDP', 53, false),
    flow('pod -> cluster DNS on another port', pod, kubeDns, 'TCP', 9153, false),
    flow('pod -> another kube-system pod on 53', pod, kubeProxy, 'UDP', 53, false),
    flow('pod -> peer on another port', pod, peer, 'TCP', 9229, false),
    flow('pod -> Prometheus', pod, prometheus, 'TCP', 9090, false),
    flow('pod -> visits-labelled pod in another namespace', pod, otherVisits, 'TCP', http, false),
    flow('pod -> pod in namespace default', pod, otherApp, 'TCP', 80, false),
    flow('pod -> the Kubernetes API server', pod, apiServer, 'TCP', 6443, false),
    flow('pod -> the internet (HTTPS)', pod, internet, 'TCP', 443, false),
    flow('pod -> a public DNS resolver', pod, publicDns, 'UDP', 53, false),
    flow('pod -> the cloud metadata service', pod, metadata, 'TCP', 80, false),
  ];
}

function mismatches(policies: Doc[], cases: Flow[]): string[] {
  return cases
    .filter((f) => admitted(policies, f.connection) !== f.admit)
    .map((f) => `${f.name}: expected ${f.admit ? 'admitted' : 'denied'}`);
}

const policiesOf = (objects: Doc[]) => objects.filter((o) => o.kind === 'NetworkPolicy');

describe.each(ENVS)('%s', (env) => {
  let objects: Doc[];
  beforeAll(async () => {
    objects = await kustomize(join(REPO_ROOT, env));
  });

  test('admits the peers on http and Prometheus on monitor, DNS and the peers out, and nothing else', () => {
    expect(policiesOf(objects).length).toBeGreaterThan(0);
    expect(mismatches(policiesOf(objects), flows(objects))).toEqual([]);
  });

  // Each mutant is a plausible mistake; every one must be caught by the flows above.
  const mutants: Array<[string, (policy: Doc) => void]> = [
    ['ingress from anywhere (no from)', (p) => p.spec.ingress.forEach((r: Doc) => delete r.from)],
    ['ingress on every port (no ports)', (p) => p.spec.ingress.forEach((r: Doc) => delete r.ports)],
    ['the peer selector widened to every pod of the namespace', (p) => (p.spec.ingress[0].from[0].podSelector = {})],
    ['the Prometheus pod selector dropped', (p) => p.spec.ingress[1].from.forEach((f: Doc) => f.namespaceSelector && delete f.podSelector)],
    [
      'the monitoring namespace selector widened to every namespace',
      (p) => p.spec.ingress[1].from.forEach((f: Doc) => f.namespaceSelector && (f.namespaceSelector = {})),
    ],
    ['Prometheus let in on http too', (p) => p.spec.ingress[1].ports.push({ protocol: 'TCP', port: 'http' })],
    [
      'one rule for the peers and Prometheus on both ports',
      (p) => {
        p.spec.ingress[0].from.push(...p.spec.ingress[1].from);
        p.spec.ingress[0].ports.push(...p.spec.ingress[1].ports);
        p.spec.ingress.splice(1, 1);
      },
    ],
    ['egress not isolated (policyTypes Ingress only)', (p) => (p.spec.policyTypes = ['Ingress'])],
    ['egress to 0.0.0.0/0 added', (p) => p.spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] })],
    ['DNS egress to any pod of kube-system', (p) => p.spec.egress.forEach((r: Doc) => r.to?.forEach((t: Doc) => delete t.podSelector))],
    [
      'the DNS address widened to all of link-local',
      (p) => p.spec.egress.forEach((r: Doc) => r.to?.forEach((t: Doc) => t.ipBlock && (t.ipBlock.cidr = '169.254.0.0/16'))),
    ],
    ['NodeLocal DNSCache dropped', (p) => p.spec.egress.forEach((r: Doc) => r.to && (r.to = r.to.filter((t: Doc) => !t.ipBlock)))],
    [
      'ingress port renamed to one the pod lacks',
      (p) => p.spec.ingress.forEach((r: Doc) => r.ports?.forEach((port: Doc) => (port.port = 'metrics'))),
    ],
  ];
  test.each(mutants)('a mutant with %s is caught', (_name, mutate) => {
    const copy: Doc[] = structuredClone(objects);
    const base = policiesOf(copy).find((p) => p.spec.policyTypes?.includes('Ingress'));
    expect(base).toBeDefined();
    mutate(base!);
    expect(mismatches(policiesOf(copy), flows(copy)).length).toBeGreaterThan(0);
  });

  test('without any NetworkPolicy everything would pass: the flows notice', () => {
    expect(mismatches([], flows(objects)).length).toBeGreaterThan(10);
  });
});
