import type { Socket } from 'node:net';

/**
 * Node's HTTP server resumes a socket by itself whenever a request is answered (to discard an
 * unread body), so one pause() is not enough: a held socket is paused again each time it resumes.
 */
function keepPaused(this: Socket): void {
  this.pause();
}

/** Stops reading `socket` until release(): the kernel's buffers, then TCP's window, hold the client back. */
export function hold(socket: Socket): void {
  socket.pause();
  socket.on('resume', keepPaused);
}

export function release(socket: Socket): void {
  socket.off('resume', keepPaused);
  socket.resume();
}
