// Starting, watching and stopping one contender process on loopback.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Asks the OS for a port that is free now on `host`. */
export function freePort(host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One GET on loopback; resolves with status and body text (never rejects on HTTP status). */
export function get(url, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Resident memory of a process in bytes from /proc (Linux): `VmHWM` is the peak, `VmRSS` now. */
export function memoryOf(pid, field) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined; // not Linux, or the process has gone
  }
}

/**
 * The command line that runs `command` on the CPUs in `cpu` (a taskset list such as "1"), or
 * anywhere when it is undefined. taskset execs the command: the child's pid is the command's,
 * and every thread it starts inherits the affinity.
 */
export function pinned(cpu, command) {
  return cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
}

/**
 * Spawns `node <args>` with `env` (pinned to `cpu` when given), and measures cold start: from
 * spawn until GET /health/startup answers 200 (polled every 10 ms) on `monitorPort`, where the
 * service serves its probes, or on `port` (the plain node:http contenders, and builds of the
 * service older than its monitoring listener). `monitorUrl` is where it answered.
 */
export async function startContender({ name, args, env, host, port, monitorPort, cpu, readyTimeoutMs = 15_000 }) {
  const started = performance.now();
  const [file, ...rest] = pinned(cpu, [process.execPath, ...args]);
  const child = spawn(file, rest, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep only the tail of the output: enough to explain a failure, bounded in memory.
  let output = '';
  const keep = (chunk) => (output = (output + chunk.toString()).slice(-8192));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let gone;
  void exited.then((how) => (gone = how));
  const url = `http://${host}:${port}`;
  const candidates = [`http://${host}:${monitorPort}`, url];
  let monitorUrl;
  for (;;) {
    if (gone !== undefined) throw new Error(`${name} exited (${gone}) before it was ready:\n${output}`);
    if (performance.now() - started > readyTimeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    for (const candidate of candidates) {
      const answer = await get(`${candidate}/health/startup`, 500).catch(() => undefined);
      if (answer?.status === 200) monitorUrl ??= candidate;
    }
    if (monitorUrl) break;
    await sleep(10);
  }
  const coldStartMs = performance.now() - started;
  return {
    name,
    url,
    monitorUrl,
    child,
    coldStartMs,
    output: () => output,
    /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code or signal. */
    async stop(timeoutMs = 10_000) {
      if (gone !== undefined) return gone;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const how = await exited;
      clearTimeout(timer);
      return how;
    },
  };
}

/**
 * CPU time (user + system) the process has used so far, in microseconds, from /proc/<pid>/stat.
 * Divided by the requests served it gives CPU per request: a figure far less sensitive than
 * requests per second to whatever else the machine is running.
 */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
// USER_HZ: 100 on every Linux architecture Node runs on.
const CLOCK_TICKS = 100;

/** Samples VmRSS every `everyMs` until stopped; the kernel's VmHWM is read too, as a check. */
export function sampleMemory(pid, everyMs = 100) {
  let peak = 0;
  const take = () => (peak = Math.max(peak, memoryOf(pid, 'VmRSS') ?? 0));
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return Math.max(peak, memoryOf(pid, 'VmHWM') ?? 0);
    },
  };
}
