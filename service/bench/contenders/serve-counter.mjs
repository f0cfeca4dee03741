// The HTTP side the plain node:http contenders share: GET / records a visit through
// `recordVisit` (a number, or a promise of one for the group-commit counter; a throw or a
// rejection answers 503), GET /health/startup tells the bench it is up.
import { createServer } from 'node:http';

export function serveCounter(recordVisit, pod) {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      const answer = (visits) =>
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ visits, pod }));
      const fail = (err) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message }));
      let visits;
      try {
        visits = recordVisit();
      } catch (err) {
        fail(err);
        return;
      }
      // The synchronous contenders answer at once, without a trip through the microtask queue.
      if (typeof visits === 'number') answer(visits);
      else visits.then(answer, fail);
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
