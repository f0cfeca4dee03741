import { connect, type Socket } from 'node:net';

/**
 * A hostile client: on each of `connections` sockets it pipelines `GET /` as fast as the kernel
 * takes them and never reads an answer. Stops (destroying every socket) when `stop()` is called.
 */
export function pipelineFlood(host: string, port: number, connections: number): { stop(): void; requestsWritten(): number } {
  const burst = Buffer.from('GET / HTTP/1.1\r\nHost: visits\r\n\r\n'.repeat(1000));
  const sockets: Socket[] = [];
  let written = 0;
  for (let i = 0; i < connections; i++) {
    const socket = connect(port, host);
    socket.pause(); // never read
    socket.on('error', () => undefined); // the server may close or reset: that is the point
    const pump = (): void => {
      while (!socket.destroyed && socket.write(burst)) written += 1000;
    };
    socket.on('connect', pump);
    socket.on('drain', pump);
    sockets.push(socket);
  }
  return {
    stop: () => sockets.forEach((socket) => socket.destroy()),
    requestsWritten: () => written,
  };
}
