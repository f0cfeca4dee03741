// Load from autocannon's programmatic API, with a graceful end: when the time is up each
// connection sends nothing more and closes once its last answer is in, so every request
// sent was answered and "visits on disk == 200 answers" can be checked exactly.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';

export async function load(url, { connections, seconds }) {
  const statuses = new Map();
  let answered = 0;
  let lastAnswer = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    // A backstop only: the clients stop themselves at `deadline` (below).
    duration: seconds + 15,
    timeout: 10,
    setupClient(client) {
      client.on('response', (statusCode) => {
        answered += 1;
        lastAnswer = performance.now();
        statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
        // Checked before autocannon sends the next request: the client then closes instead.
        if (lastAnswer >= deadline) client.responseMax = client.reqsMade;
      });
    },
  });
  const elapsedSeconds = (lastAnswer - started) / 1000;
  const ok = statuses.get(200) ?? 0;
  return {
    seconds: elapsedSeconds,
    answered,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses: Object.fromEntries(statuses),
    requestsPerSecond: answered / elapsedSeconds,
    latency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  };
}
