import { get as httpGet } from 'node:http';
import { isValidCount } from '../counter/count-format';

/** Why a peer of the cluster view did not answer; a closed set, so a metric label stays small. */
export const PEER_FAILURE_REASONS = ['timeout', 'refused', 'connection', 'status', 'invalid'] as const;
export type PeerFailureReason = (typeof PEER_FAILURE_REASONS)[number];

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
 * Asks one replica for its count over a connection of its own (no keep-alive pool), closed
 * when the answer is in or the timeout fires. The timeout covers connect, headers and body, so
 * a peer that accepts the connection and then stalls (a frozen process) cannot hold the view.
 * Why not fetch(): undici keeps an aborted request's socket open, and the peer, once it wakes,
 * then cannot close its server for seconds (found by the frozen-replica test).
 */
export async function fetchPeerCount(address: string, timeoutMs: number): Promise<PeerCount> {
  const { status, text } = await get(address, '/visits', timeoutMs);
  if (status !== 200) throw new PeerRequestError('status', `answered HTTP ${status}`);
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

function get(address: string, path: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const url = new URL(`http://${address}${path}`);
  return new Promise((resolve, reject) => {
    const request = httpGet(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname,
        agent: false,
        headers: { accept: 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > MAX_ANSWER_BYTES) request.destroy(tooLarge());
        });
        response.on('end', () =>
          text.length > MAX_ANSWER_BYTES ? reject(tooLarge()) : resolve({ status: response.statusCode ?? 0, text }),
        );
        response.on('error', (err) => reject(networkError(err, timeoutMs)));
      },
    );
    const timer = setTimeout(() => request.destroy(new PeerRequestError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (err) => reject(networkError(err, timeoutMs)));
    request.on('close', () => clearTimeout(timer));
  });
}

function tooLarge(): PeerRequestError {
  return new PeerRequestError('invalid', `answer larger than ${MAX_ANSWER_BYTES} bytes`);
}

function networkError(err: unknown, timeoutMs: number): PeerRequestError {
  if (err instanceof PeerRequestError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ECONNREFUSED') return new PeerRequestError('refused', 'connection refused');
  if (code === 'ETIMEDOUT') return new PeerRequestError('timeout', `no answer within ${timeoutMs} ms`);
  return new PeerRequestError('connection', `request failed (${code ?? (err as Error)?.message ?? 'unknown'})`);
}
