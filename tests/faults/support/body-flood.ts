import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';

/** What one connection that kept sending a body saw. */
export interface FloodOutcome {
  /** Everything the server sent, as latin1 text. */
  received: string;
  /** Bytes the client's kernel accepted before the server closed (or reset) the connection. */
  written: number;
  /** Milliseconds from connect to the close; undefined when the client gave up first. */
  closedAfterMs: number | undefined;
}

/** 16 KiB of body in one chunk of chunked encoding. */
const CHUNK = Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(16 * 1024, 'x'), Buffer.from('\r\n')]);

/**
 * Sends `head`, then a chunked body as fast as the kernel takes it (waiting for 'drain', so what
 * `written` counts left the process), until the server closes the connection or `giveUpMs` pass.
 */
export function floodChunkedBody(host: string, port: number, head: string, giveUpMs: number): Promise<FloodOutcome> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    const started = Date.now();
    let received = '';
    let closed = false;
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined); // a reset ends it as a close does
    socket.on('close', () => {
      const closedAfterMs = Date.now() - started;
      clearTimeout(giveUp);
      closed = true;
      resolve({
        received,
        written: socket.bytesWritten - socket.writableLength,
        closedAfterMs: closedAfterMs < giveUpMs ? closedAfterMs : undefined,
      });
    });
    // One chunk a turn of the event loop: the answer is read before a write meets the server's
    // reset (Node destroys a socket whose write fails, and with it what it had not read yet).
    const pump = (): void => {
      if (closed || socket.destroyed) return;
      if (socket.write(CHUNK)) setImmediate(pump);
    };
    socket.on('drain', pump);
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
  });
}

/**
 * Bytes a process has read through read(2) and friends, sockets included (`rchar` of
 * /proc/<pid>/io): the server's own side of how much of a body it took in.
 */
export async function bytesReadBy(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/^rchar: (\d+)$/m.exec(io)?.[1]);
}

/**
 * Sends `head` and nothing else (a client that waits for `100 Continue` before its body), and
 * resolves with what the server sent within `waitMs`, and whether it closed the connection.
 */
export function headOnly(host: string, port: number, head: string, waitMs: number): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let received = '';
    let closed = false;
    const done = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearTimeout(done);
      resolve({ received, closed });
    });
    socket.on('connect', () => socket.write(head));
  });
}
