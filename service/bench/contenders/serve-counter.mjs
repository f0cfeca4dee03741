// The HTTP side the two plain node:http contenders share: GET / records a visit through
// `recordVisit` (a throw answers 503), GET /health/startup tells the bench it is up.
import { createServer } from 'node:http';

export function serveCounter(recordVisit, pod) {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      let body;
      try {
        body = JSON.stringify({ visits: recordVisit(), pod });
      } catch (err) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    } else if (req.url === '/health/startup') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
