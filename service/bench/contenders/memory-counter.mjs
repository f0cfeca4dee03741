// The platform's limit: plain node:http answering a counter held in memory, nothing else.
import { serveCounter } from './serve-counter.mjs';

let count = 0;
serveCounter(() => ++count, process.env.POD_NAME ?? 'platform');
