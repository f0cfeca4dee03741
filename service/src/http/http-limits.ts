/**
 * What one client may cost this process, in one place: docs/security.md states these numbers and
 * tests/faults/http-limits.test.ts proves them against the built service.
 */
export const HTTP_LIMITS = {
  /** Largest request body on a route that reads one (PUT /visits reads at most 256 bytes: admin/restore-body.ts). */
  bodyBytes: 16 * 1024,
  /** Largest request head (Node's default, stated here so the docs have one source). */
  headerBytes: 16 * 1024,
  /** Most header fields in a request head, however short (Node's default): past it 431, even far under headerBytes. */
  headerFields: 1000,
  /** Time to receive a request's headers. */
  headersTimeoutMs: 10_000,
  /** Time to receive a whole request, headers and body. */
  requestTimeoutMs: 10_000,
  /** How often Node checks the two timeouts above: a request is cut at most this much after them. */
  timeoutCheckMs: 1_000,
  /** A socket that sends nothing for this long while a request is open is closed. */
  socketIdleMs: 10_000,
  /** An idle keep-alive connection is kept this long: longer than typical proxies' idle timeouts, so they close first. */
  keepAliveIdleMs: 65_000,
  /**
   * Open connections. At the limit a new connection closes the one idle longest (no request in
   * hand, no byte received since its last answer: http/idle-connections.ts); only when none is
   * idle is the new one closed at once. Sized so that all of them at their worst fit the pod's 256 MiB.
   */
  connections: 1024,
  /**
   * A connection closed after a refusal (401, 404, 413, … while a body is still coming) is
   * half-closed and no longer read, then destroyed after this long: the client can read its answer
   * instead of meeting a reset, and what it keeps sending is not read (RFC 9112 §9.6's staged close).
   */
  closeLingerMs: 1_000,
  /** Requests of one connection being handled at once. A client that pipelines more without reading its answers is not read from until it does. */
  pendingPerConnection: 32,
} as const;

export type HttpLimits = { readonly [name in keyof typeof HTTP_LIMITS]: number };

/**
 * The monitoring listener (the kubelet's probes and Prometheus' /metrics, probes/monitor-listener.ts):
 * its own port and its own few connections, so no load on the public port can starve it. One
 * request in hand per connection: a client that pipelines scrapes without reading holds at most
 * one /metrics answer (16-75 KB), so the whole listener buffers at most 16 of them.
 */
export const MONITOR_HTTP_LIMITS: HttpLimits = {
  ...HTTP_LIMITS,
  connections: 16,
  pendingPerConnection: 1,
};
