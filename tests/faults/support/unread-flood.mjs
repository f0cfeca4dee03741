// A hostile client, run as its own process (inside the pod's network namespace, so that its
// sockets get the namespace's 4 KiB receive buffer): on each of <connections> sockets it sends
// <per> pipelined `GET <path>` at once and never reads an answer. It never exits by itself: the
// test kills it.
// usage: node unread-flood.mjs <host> <port> <connections> <per> <path>
import { connect } from 'node:net';

const [host, port, connections, per, path] = process.argv.slice(2);
const burst = `GET ${path} HTTP/1.1\r\nHost: visits\r\n\r\n`.repeat(Number(per));
for (let i = 0; i < Number(connections); i++) {
  const socket = connect(Number(port), host);
  socket.pause(); // never read
  socket.on('error', () => undefined); // the server may close or reset: that is its right
  socket.on('connect', () => socket.write(burst));
}
setInterval(() => undefined, 60_000);
