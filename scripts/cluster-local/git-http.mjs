#!/usr/bin/env node
// Serves the local cluster's bare repositories read-only over git's smart HTTP protocol, on
// loopback (or on ADDRESS: kind's pods reach the host on its Docker network's gateway), by handing each request to `git http-backend` (git's own CGI program). Argo CD
// reads the repository here, as it reads GitHub; people push by path, which runs the hook.
//
//   node scripts/cluster-local/git-http.mjs <port> <directory of bare repositories> [ADDRESS]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const [port, root, address = '127.0.0.1'] = process.argv.slice(2);
if (!port || !root) {
  console.error('usage: git-http.mjs <port> <repositories directory> [address]');
  process.exit(2);
}

const server = createServer((request, response) => {
  const url = new URL(request.url, 'http://localhost');
  const backend = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: request.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      ...(request.headers['content-length'] ? { CONTENT_LENGTH: request.headers['content-length'] } : {}),
      ...(request.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: request.headers['content-encoding'] } : {}),
      ...(request.headers['git-protocol'] ? { GIT_PROTOCOL: request.headers['git-protocol'] } : {}),
      REMOTE_ADDR: request.socket.remoteAddress ?? '',
    },
  });
  request.pipe(backend.stdin);
  backend.stderr.on('data', (chunk) => process.stderr.write(chunk));

  // A CGI answer: header lines, a blank line, then the body.
  let head = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout.on('data', (chunk) => {
    if (headersSent) return void response.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    response.writeHead(status);
    headersSent = true;
    response.write(head.subarray(end + 4));
  });
  backend.on('close', (code) => {
    if (!headersSent) response.writeHead(code === 0 ? 200 : 500);
    response.end();
  });
  backend.on('error', (error) => {
    console.error(`git http-backend: ${error.message}`);
    if (!headersSent) response.writeHead(500);
    response.end();
  });
});

server.listen(Number(port), address, () => console.log(`git-http: serving ${root} on http://${address}:${port}/`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
