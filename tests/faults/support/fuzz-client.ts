import { connect } from 'node:net';
import { isErrno } from '../../support/errno';
import type { FuzzCase } from './fuzz-cases';
import { parseResponses, type ParsedResponse } from './http-response-parser';

export interface FuzzOutcome {
  fuzzCase: FuzzCase;
  responses: ParsedResponse[];
  /** What was wrong with the answer; undefined when it was well-formed (or rightly silent). */
  fault?: string;
  /** The server closed the connection without a word. */
  silent: boolean;
}

/**
 * Sends one case over a raw TCP connection and judges what comes back: every byte must
 * belong to a well-formed HTTP/1.x response; a complete request must be answered. The
 * connection ends when every request was answered, the server closes, or it stays quiet
 * for `idleMs` (shorter for a request the server may rightly wait on).
 */
export function sendCase(host: string, port: number, fuzzCase: FuzzCase, idleMs = 8000): Promise<FuzzOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const socket = connect({ host, port });
    const finish = (why: 'closed' | 'answered' | 'idle' | 'error', detail?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      socket.destroy();
      resolve(judge(fuzzCase, Buffer.concat(chunks), closed || why === 'closed', why, detail));
    };
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => finish('idle'), fuzzCase.mayStall ? Math.min(idleMs, 1500) : idleMs);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      armIdle();
      const parsed = parseResponses(Buffer.concat(chunks), (i) => fuzzCase.heads[i] ?? false, false);
      const finals = parsed.responses.filter((r) => r.status >= 200);
      const closing = finals.some((r) => r.headers.some(([n, v]) => n === 'connection' && /close/i.test(v)));
      // On a parse error, wait for the close: it may still frame a rejected request's answer.
      if (!parsed.error && finals.length >= fuzzCase.heads.length && parsed.rest.length === 0 && !closing) finish('answered');
    });
    socket.on('end', () => {
      closed = true;
      finish('closed');
    });
    // A reset while we still write (the server refused a huge request) is a close, not a fault.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      closed = true;
      finish(isErrno(err, 'ECONNRESET', 'EPIPE') ? 'closed' : 'error', err.message);
    });
    socket.on('connect', async () => {
      armIdle();
      for (const [i, piece] of fuzzCase.pieces.entries()) {
        if (settled) return;
        if (i > 0 && fuzzCase.gapMs) await new Promise((r) => setTimeout(r, fuzzCase.gapMs));
        if (!settled) socket.write(piece);
        armIdle();
      }
    });
  });
}

function judge(fuzzCase: FuzzCase, data: Buffer, closed: boolean, why: string, detail?: string): FuzzOutcome {
  const parsed = parseResponses(data, (i) => fuzzCase.heads[i] ?? false, closed);
  const finals = parsed.responses.filter((r) => r.status >= 200);
  const outcome: FuzzOutcome = { fuzzCase, responses: parsed.responses, silent: data.length === 0 };
  if (why === 'error') outcome.fault = `socket error: ${detail}`;
  else if (parsed.error) outcome.fault = `malformed answer: ${parsed.error}`;
  else if (parsed.rest.length > 0 && why === 'idle') outcome.fault = `answer stalled after ${parsed.rest.length} bytes`;
  else if (finals.length === 0 && !fuzzCase.mayStall) outcome.fault = closed ? 'closed without an answer' : 'no answer';
  if (outcome.fault) {
    // Enough of both sides to replay the case by hand.
    const sent = Buffer.concat(fuzzCase.pieces).toString('latin1', 0, 400);
    outcome.fault += `\n  sent: ${JSON.stringify(sent)}\n  received: ${JSON.stringify(data.toString('latin1', 0, 600))}`;
  }
  return outcome;
}
