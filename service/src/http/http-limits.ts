/**
 * What one client may cost this process, in one place: docs/security.md states these numbers and
 * tests/faults/http-limits.test.ts proves them against the built service.
 */
export const HTTP_LIMITS = {
  /** Largest request body on a route that reads one (PUT /visits reads at most 256 bytes: admin/restore-body.ts). */
  bodyBytes: 16 * 1024,
  /** Largest request head (Node's default, stated here so the docs have one source). */
  headerBytes: 16 * 1024,
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
  /** Open connections; the next one is closed at once. Sized so that all of them at their worst fit the pod's 256 MiB. */
  connections: 1024,
  /** Requests of one connection being handled at once. A client that pipelines more without reading its answers is not read from until it does. */
  pendingPerConnection: 32,
} as const;
