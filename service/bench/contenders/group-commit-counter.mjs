// The platform's durable limit: plain node:http with group commit. One write at a time; the
// visits that arrive while it is under way wait for the next one, which writes them all at once
// (fsync per batch), and only then is each answered with its own number. A failed write answers
// its whole batch 503 and counts none of it.
//
// The write itself is the service's own writer thread (WRITER_THREAD_MODULE: writer-thread.js of
// the build being measured), so the data-file contract is the same (temp file, fdatasync, rename,
// fsync of the directory), and durable ÷ this contender is what Nest, Fastify, the metrics and
// the store cost on top of the same durable write. A writer on the main thread would be slower
// than the service (the event loop stops for every fsync): no limit at all.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { serveCounter } from './serve-counter.mjs';

const { WriterThread } = createRequire(import.meta.url)(process.env.WRITER_THREAD_MODULE);
const dataDir = process.env.DATA_DIR ?? './data';
const path = join(dataDir, 'visits');
mkdirSync(dataDir, { recursive: true });
const writer = new WriterThread({ dir: dataDir, path, tempPath: join(dataDir, '.visits.tmp') });
writer.start();

function readCount() {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch (err) {
    if (err.code === 'ENOENT') return 0;
    throw err;
  }
}

let count = readCount();
let queue = [];
let writing = false;

function writeNext() {
  if (writing || queue.length === 0) return;
  writing = true;
  const batch = queue;
  queue = [];
  const first = count + 1;
  const next = count + batch.length;
  const done = (settle) => {
    writing = false;
    // The next batch's write starts before this one is answered, so the disk does not wait for it.
    writeNext();
    batch.forEach(settle);
  };
  writer.write(`${next}\n`).then(
    () => {
      count = next;
      done((visit, i) => visit.resolve(first + i));
    },
    (err) => done((visit) => visit.reject(err)),
  );
}

function recordVisit() {
  return new Promise((resolve, reject) => {
    queue.push({ resolve, reject });
    writeNext();
  });
}

serveCounter(recordVisit, process.env.POD_NAME ?? 'group-commit');
