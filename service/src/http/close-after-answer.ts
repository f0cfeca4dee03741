import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HTTP_LIMITS } from './http-limits';
import { hold } from './socket-reading';

/**
 * Makes `res` the connection's last answer (`Connection: close`) and changes how Node then closes
 * it. Node destroys the socket as soon as the answer is flushed (destroySoon); a client still
 * sending a body then meets a reset, which can discard the answer before it reads it. Instead
 * the socket stops being read (nothing more of the body is taken in), is half-closed after the
 * answer, and destroyed `closeLingerMs` later, or earlier if it closes first.
 * Call before the answer's headers are written.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (socket === null) return;
  // Node calls destroySoon() once the last answer is finished (resOnFinish in _http_server).
  socket.destroySoon = () => {
    hold(socket);
    socket.end();
    const timer = setTimeout(() => socket.destroy(), HTTP_LIMITS.closeLingerMs);
    socket.once('close', () => clearTimeout(timer));
  };
}
