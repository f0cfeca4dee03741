import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface Idle {
  /** socket.bytesRead when it went idle: any byte since is the start of a request. */
  bytesRead: number;
}

/**
 * Admits at most `limit` connections, and at the limit makes room by closing the connection idle
 * longest rather than refusing the new one. Node's own `maxConnections` closes every new
 * connection while the limit is held, so 1,024 keep-alive connections that each sent one request
 * and went quiet locked every other client out for the whole keep-alive (65 s).
 *
 * A connection is idle from its last answer (or from connect) until the next request's first byte:
 * it then has no request in hand, and closing it loses nothing a client could not retry on a new
 * one. A connection in the middle of a request is never closed here; when none is idle the new
 * connection is closed at once, as before (its clients are bounded by the request timeouts).
 */
export class IdleConnections {
  private readonly open = new Set<Socket>();
  private readonly inHand = new WeakMap<Socket, number>();
  /** Idle sockets, the one idle longest first (a Map keeps insertion order). */
  private readonly idle = new Map<Socket, Idle>();

  constructor(private readonly limit: number) {}

  /** Must see every connection and every request of `server`. */
  watch(server: Server): void {
    // Before Node's own listener: a connection closed here never gets a parser.
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
  }

  /** Called for every request, before it is handled. */
  started(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    this.idle.delete(socket);
    this.inHand.set(socket, (this.inHand.get(socket) ?? 0) + 1);
    res.once('close', () => this.answered(socket));
  }

  private admit(socket: Socket): void {
    if (this.open.size >= this.limit && !this.closeIdlest()) {
      socket.destroy();
      return;
    }
    this.open.add(socket);
    this.markIdle(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      this.idle.delete(socket);
    });
  }

  private answered(socket: Socket): void {
    const left = (this.inHand.get(socket) ?? 1) - 1;
    this.inHand.set(socket, left);
    if (left === 0 && !socket.destroyed) this.markIdle(socket);
  }

  private markIdle(socket: Socket): void {
    this.idle.delete(socket);
    this.idle.set(socket, { bytesRead: socket.bytesRead });
  }

  /** Closes the connection idle longest; false when every open connection is busy. */
  private closeIdlest(): boolean {
    for (const [socket, idle] of this.idle) {
      this.idle.delete(socket);
      // Bytes since its last answer: a request is arriving; it stays and goes idle again once answered.
      if (socket.bytesRead !== idle.bytesRead || socket.destroyed) continue;
      this.open.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }
}
