// npm run bench [-- --quick] [-- --duration 10 --warmup 3 --connections 64 --only durable,memory
//                             --cpu-prof DIR --service path/to/main.js --write-docs]
//
// Side-by-side benchmark of the visits service against its own in-memory ceiling, a
// seed-style file counter and plain node:http. Each contender is its own process on a free
// loopback port, loaded one after another by autocannon from this process with the same
// connections, warm-up and duration. Exits 1 when a target (lib/report.mjs) is missed.
// Not a test and not in CI: the figures depend on the machine and on what else runs on it.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { load } from './lib/load.mjs';
import { cpuMicros, freePort, get, sampleMemory, startContender } from './lib/process.mjs';
import { checkTargets, loadAverage, machine, table } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const HOST = '127.0.0.1';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '64' },
    only: { type: 'string' },
    // Another build of the service (e.g. a copy of service/dist from before a change), to compare.
    service: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const SERVICE = opts.service ? resolve(opts.service) : join(repo, 'service', 'dist', 'main.js');
const seconds = Number(opts.duration ?? (opts.quick ? 3 : 10));
const warmupSeconds = Number(opts.warmup ?? (opts.quick ? 1 : 3));
const connections = Number(opts.connections);

/** The service runs as in production (LOG_LEVEL info, default settings) except for the shutdown delay. */
const serviceEnv = { POD_NAME: 'visits-bench', SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'info' };
// A build copied outside the repository still finds the repository's packages.
if (opts.service) serviceEnv.NODE_PATH = [join(repo, 'node_modules'), join(repo, 'service', 'node_modules')].join(':');
// One directory per contender: the service's writer thread writes a profile of its own beside the main thread's.
const profileArgs = (name) => (opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(resolve(opts['cpu-prof']), name)}`] : []);
const CONTENDERS = [
  { name: 'durable', label: 'visits service, durable (default)', args: [...profileArgs('durable'), SERVICE], env: serviceEnv, disk: true },
  {
    name: 'memory',
    label: 'visits service, BENCH_NO_PERSIST=1',
    args: [...profileArgs('memory'), SERVICE],
    env: { ...serviceEnv, BENCH_NO_PERSIST: '1' },
  },
  {
    name: 'seed',
    label: 'seed-style node:http, fsync per visit',
    args: [join(here, 'contenders', 'seed-counter.mjs')],
    env: {},
    disk: true,
  },
  { name: 'platform', label: 'plain node:http, memory', args: [join(here, 'contenders', 'memory-counter.mjs')], env: {} },
];

/** Durable writes and visits from the service's own metrics; each write is 2 syncs (fdatasync file + fsync dir). */
function persistFigures(metricsText) {
  const value = (name) => Number(metricsText.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
  const writes = value('visits_persist_duration_seconds_count');
  const visits = value('visits_recorded_total');
  const meanWriteMs = (value('visits_persist_duration_seconds_sum') / writes) * 1000;
  return { writes, visits, meanWriteMs, syncsPerThousand: ((2 * writes) / visits) * 1000 };
}

async function runOne(contender) {
  const dataDir = await mkdtemp(join(tmpdir(), `visits-bench-${contender.name}-`));
  const port = await freePort(HOST);
  const env = { ...contender.env, HOST, PORT: String(port), DATA_DIR: dataDir };
  const proc = await startContender({ name: contender.name, args: contender.args, env, host: HOST, port });
  try {
    const memory = sampleMemory(proc.child.pid);
    let warm, measured, peakRss;
    try {
      warm = await load(`${proc.url}/`, { connections, seconds: warmupSeconds });
      const cpuBefore = cpuMicros(proc.child.pid);
      measured = await load(`${proc.url}/`, { connections, seconds });
      measured.cpuMicrosPerRequest = (cpuMicros(proc.child.pid) - cpuBefore) / measured.answered;
    } finally {
      peakRss = memory.stop();
    }
    const run = { ...contender, load: measured, peakRss, coldStartMs: proc.coldStartMs, ok: warm.ok + measured.ok };
    if (contender.name === 'durable') run.persist = persistFigures((await get(`${proc.url}/metrics`)).body);
    const exit = await proc.stop();
    if (exit !== 0) throw new Error(`${contender.name} did not exit cleanly (${exit}):\n${proc.output()}`);
    if (contender.disk) run.onDisk = Number((await readFile(join(dataDir, 'visits'), 'utf8')).trim());
    return run;
  } catch (err) {
    await proc.stop(2000);
    throw err;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const only = opts.only?.split(',');
  const chosen = CONTENDERS.filter((c) => !only || only.includes(c.name));
  const loadBefore = loadAverage();
  const runs = [];
  for (const contender of chosen) {
    process.stderr.write(`bench: ${contender.label} … `);
    const run = await runOne(contender);
    process.stderr.write(`${run.load.requestsPerSecond.toFixed(0)} req/s\n`);
    runs.push(run);
  }
  const byName = Object.fromEntries(runs.map((r) => [r.name, r]));
  const durable = byName.durable;
  const lossCheck = durable ? { onDisk: durable.onDisk, ok: durable.ok } : undefined;
  const checks = checkTargets(byName, lossCheck);

  const ratio = (a, b) =>
    byName[a] && byName[b] ? (byName[a].load.requestsPerSecond / byName[b].load.requestsPerSecond).toFixed(2) : 'n/a';
  const lines = [
    `Machine: ${machine()}; load average before ${loadBefore}, after ${loadAverage()}`,
    `Command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''} (${connections} connections, ${warmupSeconds} s warm-up, ${seconds} s measured, autocannon in the same run)`,
    '',
    table(runs),
    '',
    `Ratios (req/s): durable ÷ in-memory ${ratio('durable', 'memory')}, durable ÷ seed-style ${ratio('durable', 'seed')}, durable ÷ platform ${ratio('durable', 'platform')}`,
  ];
  if (durable) {
    const p = durable.persist;
    lines.push(
      `Durable writes: ${p.writes} for ${p.visits} visits (warm-up included) = ${((p.writes / p.visits) * 1000).toFixed(1)} writes, ` +
        `${p.syncsPerThousand.toFixed(1)} fsyncs per 1000 visits (2 per write: fdatasync of the temp file + fsync of the directory); ` +
        `${(p.visits / p.writes).toFixed(1)} visits per write, ${p.meanWriteMs.toFixed(2)} ms per write`,
      `Lost nothing: ${durable.onDisk} visits on disk after shutdown, ${durable.ok} answered 200 (warm-up + measured)`,
    );
  }
  if (byName.seed) lines.push(`Seed-style check: ${byName.seed.onDisk} on disk, ${byName.seed.ok} answered 200`);
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
