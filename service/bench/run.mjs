// npm run bench [-- --quick] [-- --rounds 3 --duration 5 --warmup 2 --connections 64
//                  --only durable,group-commit --no-pin --cpu-prof DIR --service path/to/main.js --write-docs]
//
// Side-by-side benchmark of the visits service against the platform's durable limit (plain
// node:http with group commit), its own in-memory ceiling, a seed-style file counter and plain
// node:http. Each contender is its own process on a free loopback port, loaded by wrk (its own
// process too) with the same connections, warm-up and duration; the server and wrk are pinned
// to different cores. Rounds are interleaved (every contender once, then again), so a noisy
// minute on the shared machine hits every contender, and ratios are taken within a round.
// Exits 1 when a target (lib/report.mjs) is missed, 2 when the run itself failed.
// Not a test and not in CI: the figures depend on the machine and on what else runs on it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { load } from './lib/load.mjs';
import { cpuMicros, freePort, get, sampleMemory, startContender } from './lib/process.mjs';
import { checkTargets, loadAverage, machine, spread, table } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const HOST = '127.0.0.1';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    // Another build of the service (e.g. a copy of service/dist from before a change), to compare.
    service: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const SERVICE = opts.service ? resolve(opts.service) : join(repo, 'service', 'dist', 'main.js');
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
const seconds = Number(opts.duration ?? (opts.quick ? 3 : 5));
const warmupSeconds = Number(opts.warmup ?? (opts.quick ? 1 : 2));
const connections = Number(opts.connections);
// The server on CPU 1 (all its threads), wrk on CPU 0: neither takes the other's core, and
// every contender gets the same one core. Unpinned, the scheduler decides, run by run.
const pin = !opts['no-pin'] && cpus().length >= 2;
const SERVER_CPU = pin ? '1' : undefined;
const LOAD_CPU = pin ? '0' : undefined;

/** The service runs as in production (LOG_LEVEL info, default settings) except for the shutdown delay. */
const serviceEnv = { POD_NAME: 'visits-bench', SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'info' };
// A build copied outside the repository still finds the repository's packages.
if (opts.service) serviceEnv.NODE_PATH = [join(repo, 'node_modules'), join(repo, 'service', 'node_modules')].join(':');
// One directory per contender: the service's writer thread writes a profile of its own beside the main thread's.
const profileArgs = (name) => (opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(opts['cpu-prof']), name)}`] : []);
const contenderFile = (file) => join(here, 'contenders', file);
const CONTENDERS = [
  { name: 'durable', label: 'visits service, durable (default)', args: [...profileArgs('durable'), SERVICE], env: serviceEnv, disk: true },
  {
    name: 'group-commit',
    label: 'node:http + group commit (fsync per batch)',
    args: [contenderFile('group-commit-counter.mjs')],
    env: { WRITER_THREAD_MODULE: join(dirname(SERVICE), 'counter', 'writer-thread.js') },
    disk: true,
  },
  {
    name: 'memory',
    label: 'visits service, BENCH_NO_PERSIST=1',
    args: [...profileArgs('memory'), SERVICE],
    env: { ...serviceEnv, BENCH_NO_PERSIST: '1' },
  },
  { name: 'seed', label: 'seed-style node:http, fsync per visit', args: [contenderFile('seed-counter.mjs')], env: {}, disk: true },
  { name: 'platform', label: 'plain node:http, memory', args: [contenderFile('memory-counter.mjs')], env: {} },
];
// durable ÷ each of these, per round.
const RATIOS = [
  ['group-commit', 'group commit'],
  ['seed', 'seed-style'],
  ['memory', 'in-memory'],
  ['platform', 'plain node:http'],
];

/** Durable writes and visits from the service's own metrics; each write is 2 syncs (fdatasync file + fsync dir). */
function persistFigures(metricsText) {
  const value = (name) => Number(metricsText.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
  return {
    writes: value('visits_persist_duration_seconds_count'),
    visits: value('visits_recorded_total'),
    seconds: value('visits_persist_duration_seconds_sum'),
  };
}

async function runOne(contender) {
  const dataDir = await mkdtemp(join(tmpdir(), `visits-bench-${contender.name}-`));
  try {
    const port = await freePort(HOST);
    const monitorPort = await freePort(HOST);
    const env = { ...contender.env, HOST, PORT: String(port), MONITOR_PORT: String(monitorPort), DATA_DIR: dataDir };
    const proc = await startContender({ name: contender.name, args: contender.args, env, host: HOST, port, monitorPort, cpu: SERVER_CPU });
    try {
      return await measure(contender, proc, dataDir);
    } catch (err) {
      await proc.stop(2000);
      throw err;
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Warm-up, then the measured run, then a clean stop and the count on disk. */
async function measure(contender, proc, dataDir) {
  const memory = sampleMemory(proc.child.pid);
  let warm, measured, peakRss;
  try {
    warm = await load(`${proc.url}/`, { connections, seconds: warmupSeconds, cpu: LOAD_CPU });
    const cpuBefore = cpuMicros(proc.child.pid);
    measured = await load(`${proc.url}/`, { connections, seconds, cpu: LOAD_CPU });
    measured.cpuMicrosPerRequest = (cpuMicros(proc.child.pid) - cpuBefore) / measured.answered;
  } finally {
    peakRss = memory.stop();
  }
  const run = {
    load: measured,
    peakRss,
    coldStartMs: proc.coldStartMs,
    ok: warm.ok + measured.ok,
    // wrk stops with up to one request per connection unanswered (or one per failed request):
    // recorded, perhaps, but never read.
    unread: 2 * connections + warm.errors + measured.errors,
  };
  if (contender.name === 'durable') run.persist = persistFigures((await get(`${proc.monitorUrl}/metrics`)).body);
  const exit = await proc.stop();
  if (exit !== 0) throw new Error(`${contender.name} did not exit cleanly (${exit}):\n${proc.output()}`);
  if (contender.disk) run.onDisk = Number((await readFile(join(dataDir, 'visits'), 'utf8')).trim());
  return run;
}

/** Every 200 answer is on disk after a clean shutdown, and at most the unread requests more. */
function lossCheck(name, runs) {
  const extra = runs.map((r) => r.onDisk - r.ok);
  return {
    name,
    value: `on disk − 200 answers per round: ${extra.join(', ')} (allowed 0 to ${Math.max(...runs.map((r) => r.unread))}, the requests wrk left unread)`,
    ok: runs.every((r) => r.onDisk >= r.ok && r.onDisk - r.ok <= r.unread),
  };
}

async function main() {
  const only = opts.only?.split(',');
  const chosen = CONTENDERS.filter((c) => !only || only.includes(c.name));
  const loadBefore = loadAverage();
  const byName = Object.fromEntries(chosen.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const c of chosen) {
      process.stderr.write(`bench: round ${round}/${rounds}, ${c.label} … `);
      const run = await runOne(c);
      process.stderr.write(`${run.load.requestsPerSecond.toFixed(0)} req/s, ${run.load.cpuMicrosPerRequest.toFixed(0)} µs/req\n`);
      byName[c.name].push(run);
    }
  }
  const ratios = {};
  for (const [other] of RATIOS)
    if (byName.durable && byName[other])
      ratios[`durable/${other}`] = byName.durable.map((r, i) => r.load.requestsPerSecond / byName[other][i].load.requestsPerSecond);
  const lossChecks = chosen.filter((c) => c.disk).map((c) => lossCheck(c.name, byName[c.name]));
  const checks = checkTargets(byName, ratios, lossChecks);

  const args = process.argv.slice(2);
  const lines = [
    `Machine: ${machine()}; load average before ${loadBefore}, after ${loadAverage()}`,
    `Command: npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}: ${rounds} round${rounds > 1 ? 's' : ''} × ` +
      `(${warmupSeconds} s warm-up + ${seconds} s measured), wrk -t1 -c${connections}, ` +
      (pin ? `server pinned to CPU ${SERVER_CPU}, wrk to CPU ${LOAD_CPU}` : 'unpinned'),
    `Each figure: median of the rounds (lowest–highest); errors and non-2xx: sums; peak RSS: highest.`,
    '',
    table(chosen.map((c) => ({ label: c.label, runs: byName[c.name] }))),
    '',
    'Ratios of req/s, within each round (median, lowest–highest):',
    ...RATIOS.filter(([other]) => ratios[`durable/${other}`]).map(
      ([other, what]) => `- durable ÷ ${what}: ${spread(ratios[`durable/${other}`], 2)}`,
    ),
  ];
  if (byName.durable) {
    const total = (key) => byName.durable.reduce((n, r) => n + r.persist[key], 0);
    const [writes, visits, writeSeconds] = [total('writes'), total('visits'), total('seconds')];
    lines.push(
      '',
      `Durable writes: ${writes} for ${visits} visits (all rounds, warm-up included) = ${((writes / visits) * 1000).toFixed(1)} writes, ` +
        `${((2 * writes * 1000) / visits).toFixed(1)} fsyncs per 1000 visits (2 per write: fdatasync of the temp file + fsync of the directory); ` +
        `${(visits / writes).toFixed(1)} visits per write, ${((writeSeconds / writes) * 1000).toFixed(2)} ms per write`,
    );
  }
  lines.push('', 'Targets:', ...checks.map((c) => `- ${c.ok ? 'met   ' : 'MISSED'} ${c.what}: ${c.value}`));
  const report = lines.join('\n');
  console.log(report);

  if (opts['write-docs']) await writeDocs(report);
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
}

/** Replaces the block between the markers in docs/benchmarks.md with this run's output. */
async function writeDocs(report) {
  const docs = join(repo, 'docs', 'benchmarks.md');
  const text = await readFile(docs, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${docs} has no ${start} … ${end} block`);
  const block = `${start}\n${report}\n${end}`;
  await writeFile(docs, text.slice(0, from) + block + text.slice(to + end.length));
  console.error(`bench: wrote the report into ${docs}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
