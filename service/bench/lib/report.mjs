// The printed report: a markdown table (so docs/benchmarks.md takes it verbatim), the ratios,
// the durability figures and the targets.
import { cpus, loadavg } from 'node:os';

export const TARGETS = {
  durableOverMemory: 0.7,
  durableOverSeed: 5,
  p99Ms: 25,
  peakRssMb: 150,
  coldStartMs: 1500,
};

const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const fixed = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function machine() {
  const list = cpus();
  return `${list.length} cores, ${list[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, ${process.platform}`;
}

export function loadAverage() {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

export function table(runs) {
  const rows = [
    '| contender | req/s | p50 ms | p99 ms | errors | non-2xx | server CPU µs/req | peak RSS MB | cold start ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const run of runs) {
    const { load } = run;
    rows.push(
      `| ${run.label} | ${fixed(load.requestsPerSecond)} | ${load.latency.p50} | ${load.latency.p99} | ${load.errors} | ${load.non2xx} | ${fixed(load.cpuMicrosPerRequest)} | ${mb(run.peakRss)} | ${fixed(run.coldStartMs)} |`,
    );
  }
  return rows.join('\n');
}

/** Evaluates the targets on what was measured; a target whose inputs were not run is left out. */
export function checkTargets(byName, lossCheck) {
  const checks = [];
  const durable = byName.durable;
  if (!durable) return checks;
  const rps = (name) => byName[name]?.load.requestsPerSecond;
  if (byName.memory) {
    const ratio = rps('durable') / rps('memory');
    checks.push({
      what: `durable ÷ in-memory ≥ ${TARGETS.durableOverMemory}`,
      value: ratio.toFixed(2),
      ok: ratio >= TARGETS.durableOverMemory,
    });
  }
  if (byName.seed) {
    const ratio = rps('durable') / rps('seed');
    checks.push({
      what: `durable ÷ seed-style ≥ ${TARGETS.durableOverSeed}`,
      value: ratio.toFixed(1),
      ok: ratio >= TARGETS.durableOverSeed,
    });
  }
  checks.push({
    what: `durable p99 ≤ ${TARGETS.p99Ms} ms`,
    value: `${durable.load.latency.p99} ms`,
    ok: durable.load.latency.p99 <= TARGETS.p99Ms,
  });
  const peak = Math.max(durable.peakRss, byName.memory?.peakRss ?? 0);
  checks.push({ what: `service peak RSS ≤ ${TARGETS.peakRssMb} MB`, value: `${mb(peak)} MB`, ok: peak <= TARGETS.peakRssMb * 1024 * 1024 });
  checks.push({
    what: `cold start to ready ≤ ${TARGETS.coldStartMs} ms`,
    value: `${fixed(durable.coldStartMs)} ms`,
    ok: durable.coldStartMs <= TARGETS.coldStartMs,
  });
  checks.push({
    what: 'errors and non-2xx = 0 (durable)',
    value: String(durable.load.errors + durable.load.non2xx),
    ok: durable.load.errors + durable.load.non2xx === 0,
  });
  if (lossCheck)
    checks.push({
      what: 'visits on disk = 200 answers (durable)',
      value: `${lossCheck.onDisk} / ${lossCheck.ok}`,
      ok: lossCheck.onDisk === lossCheck.ok,
    });
  return checks;
}
