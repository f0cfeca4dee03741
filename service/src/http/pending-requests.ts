import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { refuse } from './error-answer';
import { isVisit, type Refusals } from './refusals';
import { hold, release } from './socket-reading';

/**
 * Pushes back on a client that sends requests faster than it reads the answers (pipelining on a
 * socket it never reads). Without this every request it sends is parsed, handled and its answer
 * buffered, and a few such connections fill the pod's memory. Once a connection has `limit`
 * requests in hand its socket is held: not read (the kernel's buffers, then TCP's window, hold the
 * client back) until its answers have been taken. Requests already parsed beyond the limit (a
 * burst in one read) are not handled: the first gets 503 with Retry-After, and the connection
 * closes after it.
 */
export class PendingRequestLimit {
  private readonly pending = new WeakMap<Socket, number>();
  private readonly refused = new WeakSet<Socket>();

  constructor(
    private readonly limit: number,
    private readonly refusals: Refusals,
  ) {}

  /** Returns true when the request was refused (answered or dropped) and must not be handled. */
  refuse(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket;
    const inHand = this.pending.get(socket) ?? 0;
    if (this.refused.has(socket)) {
      this.refusals.refused({ cause: 'pipelining', method: req.method, status: undefined, visit: isVisit(req.method, req.url) });
      return true;
    }
    if (inHand >= this.limit) {
      // One answer is enough: the connection closes after it, and the rest of the burst with it.
      // (Node parses a whole read before anything can stop it; the pod's 4 KiB receive buffer,
      // net.ipv4.tcp_rmem in the StatefulSet, keeps that burst small.)
      this.refused.add(socket);
      refuse(res, 503, `more than ${this.limit} requests pending on this connection; read the answers before sending more`, {
        'retry-after': '1',
      });
      this.refusals.refused({ cause: 'pipelining', method: req.method, status: 503, visit: isVisit(req.method, req.url) });
      return true;
    }
    this.pending.set(socket, inHand + 1);
    if (inHand + 1 === this.limit) hold(socket);
    res.once('close', () => this.settle(socket));
    return false;
  }

  private settle(socket: Socket): void {
    const left = (this.pending.get(socket) ?? 1) - 1;
    this.pending.set(socket, left);
    if (left !== this.limit - 1 || this.refused.has(socket) || socket.destroyed) return;
    // Read again only once the client has taken what was written to it.
    if (socket.writableNeedDrain) socket.once('drain', () => this.releaseIfBelow(socket));
    else release(socket);
  }

  private releaseIfBelow(socket: Socket): void {
    if ((this.pending.get(socket) ?? 0) < this.limit && !this.refused.has(socket) && !socket.destroyed) release(socket);
  }
}
