// The platform's limit: plain node:http answering a counter held in memory, nothing else.
import { createServer } from 'node:http';

const pod = process.env.POD_NAME ?? 'platform';
let count = 0;

const server = createServer((req, res) => {
  if (req.url === '/') {
    count += 1;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ visits: count, pod }));
  } else if (req.url === '/health/startup') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
  } else {
    res.writeHead(404).end();
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
