// The seed lab's style of durable counter, as a yardstick: plain node:http, and on every
// visit read the file, add one, write a temp file, fsync it, rename it over the data file.
// Synchronous calls on purpose: that is how such a counter stays free of lost updates
// without a queue, and it is exactly the cost this benchmark wants to show.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const dataDir = process.env.DATA_DIR ?? './data';
const file = join(dataDir, 'visits');
const temp = join(dataDir, '.visits.tmp');
const pod = process.env.POD_NAME ?? 'seed';
mkdirSync(dataDir, { recursive: true });

function readCount() {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch (err) {
    if (err.code === 'ENOENT') return 0;
    throw err;
  }
}

function recordVisit() {
  const count = readCount() + 1;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, `${count}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  return count;
}

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
