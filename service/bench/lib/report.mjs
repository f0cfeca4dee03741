// The printed report: a markdown table (so docs/benchmarks.md takes it verbatim), the ratios,
// the durability figures and the targets. Every figure is the median of the rounds, with the
// lowest and highest beside it: one run on a shared machine is not a measurement.
import { cpus, loadavg } from 'node:os';

// durable ÷ in-memory is printed but is no target: with wrk (not the bottleneck any more) the
// in-memory variant is bound by CPU and the durable service by the latency of its group commit,
// so their ratio says what an fsync costs on this disk. The platform's durable limit (group
// commit on plain node:http) is the reference a durable service can be held to.
export const TARGETS = {
  durableOverGroupCommit: 0.9,
  durableOverSeed: 5,
  p99Ms: 25,
  peakRssMb: 150,
  coldStartMs: 1500,
};

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const fixed = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min–max)", or the value alone after a single round. */
export function spread(values, digits = 0) {
  const m = fixed(median(values), digits);
  if (values.length < 2) return m;
  return `${m} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`;
}

export function machine() {
  const list = cpus();
  return `${list.length} cores, ${list[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`;
}

export function loadAverage() {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

/** One row per contender; `runs` are its rounds. */
export function table(contenders) {
  const rows = [
    '| contender | req/s | p50 ms | p99 ms | server CPU µs/req | wrk CPU % | errors | non-2xx | peak RSS MB | cold start ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { label, runs } of contenders) {
    const of = (pick) => runs.map(pick);
    const sum = (pick) => of(pick).reduce((a, b) => a + b, 0);
    rows.push(
      `| ${label} | ${spread(of((r) => r.load.requestsPerSecond))} | ${fixed(median(of((r) => r.load.latency.p50)), 1)} | ` +
        `${spread(
          of((r) => r.load.latency.p99),
          1,
        )} | ${spread(of((r) => r.load.cpuMicrosPerRequest))} | ` +
        `${fixed(Math.max(...of((r) => r.load.loadCpuShare)) * 100)} | ${sum((r) => r.load.errors)} | ${sum((r) => r.load.non2xx)} | ` +
        `${mb(Math.max(...of((r) => r.peakRss)))} | ${fixed(median(of((r) => r.coldStartMs)))} |`,
    );
  }
  return rows.join('\n');
}

/** Evaluates the targets on the medians; a target whose inputs were not run is left out. */
export function checkTargets(byName, ratios, lossChecks) {
  const checks = [];
  const durable = byName.durable;
  if (!durable) return checks;
  const ratioTarget = (key, other, what) => {
    if (!ratios[key]) return;
    const value = median(ratios[key]);
    checks.push({ what: `durable ÷ ${what} ≥ ${TARGETS[other]}`, value: value.toFixed(2), ok: value >= TARGETS[other] });
  };
  ratioTarget('durable/group-commit', 'durableOverGroupCommit', 'group commit');
  ratioTarget('durable/seed', 'durableOverSeed', 'seed-style');
  const p99 = median(durable.map((r) => r.load.latency.p99));
  checks.push({ what: `durable p99 ≤ ${TARGETS.p99Ms} ms`, value: `${p99.toFixed(1)} ms`, ok: p99 <= TARGETS.p99Ms });
  // The service as deployed; BENCH_NO_PERSIST is a measuring variant, never run in a pod.
  const peak = Math.max(...durable.map((r) => r.peakRss));
  checks.push({
    what: `durable service peak RSS ≤ ${TARGETS.peakRssMb} MB`,
    value: `${mb(peak)} MB`,
    ok: peak <= TARGETS.peakRssMb * 1024 * 1024,
  });
  const coldStart = median(durable.map((r) => r.coldStartMs));
  checks.push({
    what: `cold start to ready ≤ ${TARGETS.coldStartMs} ms`,
    value: `${fixed(coldStart)} ms`,
    ok: coldStart <= TARGETS.coldStartMs,
  });
  const failed = durable.reduce((n, r) => n + r.load.errors + r.load.non2xx, 0);
  checks.push({ what: 'errors and non-2xx = 0 (durable)', value: String(failed), ok: failed === 0 });
  for (const loss of lossChecks)
    checks.push({ what: `every 200 answer on disk (${loss.name}, every round)`, value: loss.value, ok: loss.ok });
  return checks;
}
