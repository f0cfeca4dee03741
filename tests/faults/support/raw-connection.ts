import { connect, type Socket } from 'node:net';

/** What happened on one raw connection: everything the server sent, and when it closed. */
export interface RawOutcome {
  received: string;
  /** Milliseconds from connect to the server closing the connection. */
  closedAfterMs: number;
}

/**
 * Opens a connection, hands it to `drive` (which writes whatever it likes, when it likes), and
 * resolves once the server closes it; rejects if it is still open after `timeoutMs`.
 */
export function rawConnection(host: string, port: number, drive: (socket: Socket) => void, timeoutMs: number): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const started = Date.now();
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; received: ${JSON.stringify(received.slice(0, 300))}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => drive(socket));
  });
}

/** Writes `text` one byte every `intervalMs` until the socket closes. */
export function trickle(socket: Socket, text: string, intervalMs = 1000): void {
  let next = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || next >= text.length) return clearInterval(timer);
    socket.write(text[next++]!);
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}
