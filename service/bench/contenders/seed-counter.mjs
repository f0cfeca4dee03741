// The seed lab's style of durable counter, as a yardstick: plain node:http, and on every
// visit read the file, add one, write a temp file, fsync it, rename it over the data file.
// Synchronous calls on purpose: that is how such a counter stays free of lost updates
// without a queue, and it is exactly the cost this benchmark wants to show.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { serveCounter } from './serve-counter.mjs';

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

serveCounter(recordVisit, pod);
