// Load from wrk (Debian's wrk 4.1, C, one thread): a separate process, so the load generator
// is not the Node process that coordinates the run, and optionally pinned to a core of its own
// (taskset) away from the server. wrk stops at its deadline with up to one request per
// connection in flight: those visits may be recorded without their answer being read.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicros, pinned } from './process.mjs';

const REPORT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'wrk-report.lua');

export async function load(url, { connections, seconds, cpu }) {
  const command = pinned(cpu, ['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', REPORT_SCRIPT, url]);
  // taskset execs wrk, so the child's pid is wrk's.
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  // wrk's own CPU, sampled while it runs (it cannot be read once it has exited): shows whether
  // the load generator, rather than the server, was the limit.
  let wrkCpu = 0;
  const sample = () => (wrkCpu = Math.max(wrkCpu, cpuMicros(child.pid) || 0));
  const sampler = setInterval(sample, 100);
  child.stdout.on('data', sample);
  const exit = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? signal));
  }).finally(() => clearInterval(sampler));
  const line = output.split('\n').find((l) => l.startsWith('{"wrkReport"'));
  if (exit !== 0 || !line) throw new Error(`wrk failed (${exit}):\n${output}`);
  const r = JSON.parse(line);
  const elapsedSeconds = r.durationUs / 1e6;
  return {
    seconds: elapsedSeconds,
    answered: r.requests,
    // wrk counts answers with a status of 400 or more; the contenders answer only 200 or 503.
    ok: r.requests - r.statusErrors,
    non2xx: r.statusErrors,
    errors: r.connectErrors + r.readErrors + r.writeErrors + r.timeouts,
    requestsPerSecond: r.requests / elapsedSeconds,
    latency: { p50: r.p50Us / 1000, p99: r.p99Us / 1000, max: r.maxUs / 1000 },
    loadCpuShare: wrkCpu / r.durationUs,
  };
}
