import { isValidCount } from '../counter/count-format';
import type { PeerFailureReason } from '../metrics/app-metrics';

/** What a peer's GET /visits answers. */
export interface PeerCount {
  pod: string;
  visits: number;
}

export class PeerRequestError extends Error {
  constructor(
    readonly reason: PeerFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

/** A peer's answer is a few dozen bytes; anything much larger is not a visits replica. */
const MAX_ANSWER_BYTES = 4096;

export function peerAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * Asks one replica for its count. The timeout covers connect, headers and body, so a peer
 * that accepts the connection and then stalls (a frozen process) cannot hold the view.
 */
export async function fetchPeerCount(address: string, timeoutMs: number): Promise<PeerCount> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(`http://${address}/visits`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    throw networkError(err, timeoutMs);
  }
  if (response.status !== 200) throw new PeerRequestError('status', `answered HTTP ${response.status}`);
  if (text.length > MAX_ANSWER_BYTES) throw new PeerRequestError('invalid', `answer larger than ${MAX_ANSWER_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PeerRequestError('invalid', 'answer is not JSON');
  }
  const { pod, visits } = (body ?? {}) as Partial<PeerCount>;
  if (typeof pod !== 'string' || pod === '' || !isValidCount(visits)) {
    throw new PeerRequestError('invalid', 'answer is not {"visits": n, "pod": name}');
  }
  return { pod, visits };
}

function networkError(err: unknown, timeoutMs: number): PeerRequestError {
  const name = (err as Error)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new PeerRequestError('timeout', `no answer within ${timeoutMs} ms`);
  // undici wraps the socket error: TypeError("fetch failed") with the errno in `cause`.
  const cause = (err as { cause?: NodeJS.ErrnoException })?.cause;
  const code = cause?.code ?? (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED') return new PeerRequestError('refused', 'connection refused');
  return new PeerRequestError('connection', `request failed (${code ?? cause?.message ?? (err as Error)?.message ?? 'unknown'})`);
}
