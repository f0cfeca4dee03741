import { selects } from '../../support/label-selector';

/**
 * A small evaluator of Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics, enough to ask
 * "would this connection be admitted?" of a set of rendered policies. Policies are additive:
 * a pod selected by no policy of a direction is open in that direction; once selected, a
 * connection is admitted when any rule of any selecting policy admits it.
 */
// Rendered manifests are untyped YAML.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = Record<string, any>;

export interface Endpoint {
  namespace: string;
  /** Labels of the namespace (kubernetes.io/metadata.name is added automatically). */
  namespaceLabels?: Record<string, string>;
  /** Labels of the pod; undefined for something that is not a pod (an outside address). */
  podLabels?: Record<string, string>;
  ip: string;
  /** Named container ports of the pod, for rules that name their port. */
  ports?: Record<string, number>;
}

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  port: number;
}

function namespaceLabels(endpoint: Endpoint): Record<string, string> {
  return { ...endpoint.namespaceLabels, 'kubernetes.io/metadata.name': endpoint.namespace };
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToNumber(ip) / size) === Math.floor(ipToNumber(base!) / size);
}

/** One `from`/`to` peer of a rule, seen from a policy in `policyNamespace`. */
function peerMatches(peer: Doc, other: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip, c));
  }
  if (!other.podLabels) return false; // pod and namespace selectors match pods only
  const namespaceOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(other))
    : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, other.podLabels) : true;
  return namespaceOk && podOk;
}

/** A rule's ports; a named port is looked up on the pod that receives the connection. */
function portMatches(ports: Doc[] | undefined, connection: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== connection.protocol) return false;
    if (p.port === undefined) return true;
    const number = typeof p.port === 'number' ? p.port : connection.to.ports?.[p.port];
    if (number === undefined) return false;
    return p.endPort ? connection.port >= number && connection.port <= p.endPort : connection.port === number;
  });
}

function selecting(policies: Doc[], pod: Endpoint, type: 'Ingress' | 'Egress'): Doc[] {
  return policies.filter((policy) => {
    if ((policy.metadata?.namespace ?? '') !== pod.namespace || !pod.podLabels) return false;
    if (!selects(policy.spec?.podSelector ?? {}, pod.podLabels)) return false;
    const types: string[] = policy.spec?.policyTypes ?? (policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    return types.includes(type);
  });
}

function direction(policies: Doc[], connection: Connection, type: 'Ingress' | 'Egress'): boolean {
  const pod = type === 'Ingress' ? connection.to : connection.from;
  const other = type === 'Ingress' ? connection.from : connection.to;
  const applying = selecting(policies, pod, type);
  if (applying.length === 0) return true; // not isolated in this direction
  return applying.some((policy) =>
    ((type === 'Ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? []).some((rule: Doc) => {
      const peers: Doc[] | undefined = type === 'Ingress' ? rule.from : rule.to;
      const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, other, policy.metadata.namespace));
      return peerOk && portMatches(rule.ports, connection);
    }),
  );
}

/** True when both the sender's egress and the receiver's ingress policies admit the connection. */
export function admitted(policies: Doc[], connection: Connection): boolean {
  return direction(policies, connection, 'Egress') && direction(policies, connection, 'Ingress');
}
