/** One sample line of Prometheus text format (what GET /metrics answers), e.g. `x_total{a="b"} 3`. */
export interface Sample {
  /** Name and labels as written: `x_total{a="b"}`. */
  series: string;
  name: string;
  /** The label part as written, braces included; '' for a series without labels. */
  labels: string;
  value: number;
}

/** Every sample of the text, in order; comments (# HELP, # TYPE) and blank lines skipped. */
export function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const series = line.slice(0, line.lastIndexOf(' '));
    const brace = series.indexOf('{');
    const name = brace === -1 ? series : series.slice(0, brace);
    out.push({ series, name, labels: brace === -1 ? '' : series.slice(brace), value: Number(line.slice(series.length + 1)) });
  }
  return out;
}

/** The value of the series written exactly so (`visits_recorded_total`, `x{a="b"}`); undefined when absent. */
export function sampleValue(text: string, series: string): number | undefined {
  return samples(text).find((s) => s.series === series)?.value;
}

/**
 * The value of the first series of `name` whose labels contain `labels` (e.g. `reason="EACCES"`);
 * without `labels`, of the first series of that name. Undefined when there is none.
 */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  return samples(text).find((s) => s.name === name && s.labels.includes(labels) && !Number.isNaN(s.value))?.value;
}
