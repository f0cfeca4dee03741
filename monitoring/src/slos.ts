import { alertingRule, lines, seconds, type Alert, type Duration, type RecordingRule, type RuleGroup } from './rule';
import { SERVICE } from './selectors';

/**
 * The service level objectives (docs/slos.md) and their multi-window, multi-burn-rate alerts
 * (Google SRE workbook, chapter 5), from which the SLI recording rules and the alerts are made.
 */
export interface Slo {
  name: 'availability' | 'latency';
  /** Fraction of good requests over BUDGET_WINDOW. */
  objective: number;
  /** Counter series of good requests and of all requests; the SLI is their rate ratio. */
  good: string;
  total: string;
  /** What a bad request is, as the alert descriptions say it after "{{ $value }}". */
  badRequests: string;
  /** The latency bound, for the dashboard's legend. */
  bound?: string;
}

export const BUDGET_WINDOW: Duration = '30d';

export const SLOS: readonly Slo[] = [
  {
    // A request to the API that did not end in 5xx. Requests the service refuses before routing
    // (route="refused": pipelining past its limit, an HTTP/2.0 request line, a body too large) are
    // a client's misuse, answered as designed: counted in the metrics, never in the budget, so a
    // hostile client cannot page anyone by sending them (docs/security.md#http-limits).
    name: 'availability',
    objective: 0.999,
    good: `http_request_duration_seconds_count{${SERVICE}, route!="refused", status_code!~"5.."}`,
    total: `http_request_duration_seconds_count{${SERVICE}, route!="refused"}`,
    badRequests: 'of requests to visits fail with 5xx',
  },
  {
    // GET / and GET /visits answered within 100 ms (a histogram bucket bound, le="0.1").
    name: 'latency',
    objective: 0.99,
    good: `http_request_duration_seconds_bucket{${SERVICE}, method="GET", route=~"/|/visits", le="0.1"}`,
    total: `http_request_duration_seconds_count{${SERVICE}, method="GET", route=~"/|/visits"}`,
    badRequests: 'of GET / and GET /visits requests take longer than 100 ms',
    bound: '< 100 ms',
  },
];

/** One pair of windows: fires when both error ratios exceed burnRate × the error budget. */
interface BurnWindow {
  long: Duration;
  short: Duration;
  burnRate: number;
}

interface BurnRateAlert {
  speed: 'Fast' | 'Slow';
  severity: Alert['severity'];
  for: Duration;
  windows: readonly [BurnWindow, BurnWindow];
  summary: (slo: Slo) => string;
  /** The end of the description, after what is failing; budget is the budget in per cent. */
  outlook: (budget: string) => string;
}

// A page when the 30-day budget would be gone in about 2 or 5 days, a ticket when in about 10 or 30 days.
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  {
    speed: 'Fast',
    severity: 'critical',
    for: '2m',
    windows: [
      { long: '1h', short: '5m', burnRate: 14.4 },
      { long: '6h', short: '30m', burnRate: 6 },
    ],
    summary: (slo) => `Visits is burning its ${slo.name} error budget fast.`,
    outlook: (budget) => `; at this rate the 30-day budget (${budget} %) is gone within days.`,
  },
  {
    speed: 'Slow',
    severity: 'warning',
    for: '15m',
    windows: [
      { long: '1d', short: '2h', burnRate: 3 },
      { long: '3d', short: '6h', burnRate: 1 },
    ],
    summary: (slo) => `Visits is steadily using up its ${slo.name} error budget.`,
    outlook: (budget) => ` over the long window; the 30-day budget (${budget} %) will not last the month.`,
  },
];

/** 1 - objective, without floating-point noise (0.001, not 0.0010000000000000009). */
export const errorBudget = (slo: Slo): number => Number((1 - slo.objective).toPrecision(6));

export const errorRatio = (slo: Slo, window: Duration): string => `visits:slo_${slo.name}:error_ratio_rate${window}`;

/** 1 = the budget is untouched, 0 = spent. */
export const budgetRemaining = (slo: Slo): string => `visits:slo_${slo.name}:error_budget_remaining`;

/** 0.999 as "99.9". */
export const percent = (fraction: number): string => `${Number((fraction * 100).toPrecision(6))}`;

/** Every window an alert reads, and the budget's: each gets a recorded error ratio. */
export const SLI_WINDOWS: readonly Duration[] = [
  ...new Set([...BURN_RATE_ALERTS.flatMap((a) => a.windows.flatMap((w) => [w.long, w.short])), BUDGET_WINDOW]),
].sort((a, b) => seconds(a) - seconds(b));

/** The 5-minute rates of good and of all requests, per namespace: what the long windows average. */
export const goodRate5m = (slo: Slo): string => `visits:slo_${slo.name}:good_rate5m`;
export const totalRate5m = (slo: Slo): string => `visits:slo_${slo.name}:requests_rate5m`;

/**
 * Windows of a day and longer average the recorded 5-minute rates instead of rate() over the raw
 * counters: rate(...[30d]) read a month of every pod's histogram series at every evaluation.
 * Averaging both rates (not the 5-minute ratios) keeps each 5 minutes weighted by its traffic.
 */
const DERIVED_FROM: Duration = '1d';
const derived = (window: Duration): boolean => seconds(window) >= seconds(DERIVED_FROM);

function sliRules(slo: Slo): RecordingRule[] {
  const ns = 'sum by (namespace)';
  return [
    { record: goodRate5m(slo), expr: `${ns} (rate(${slo.good}[5m]))` },
    { record: totalRate5m(slo), expr: `${ns} (rate(${slo.total}[5m]))` },
    // Written as 1 - good/total so the ratio exists (as 0) before the first bad request.
    ...SLI_WINDOWS.map((window) => ({
      record: errorRatio(slo, window),
      expr:
        window === '5m'
          ? `1 - ${goodRate5m(slo)} / ${totalRate5m(slo)}`
          : derived(window)
            ? `1 - avg_over_time(${goodRate5m(slo)}[${window}]) / avg_over_time(${totalRate5m(slo)}[${window}])`
            : `1 - ${ns} (rate(${slo.good}[${window}])) / ${ns} (rate(${slo.total}[${window}]))`,
    })),
    { record: budgetRemaining(slo), expr: `1 - ${errorRatio(slo, BUDGET_WINDOW)} / ${errorBudget(slo)}` },
  ];
}

function burnRateAlert(slo: Slo, spec: BurnRateAlert): Alert {
  const budget = errorBudget(slo);
  const threshold = (burnRate: number) => (burnRate === 1 ? `${budget}` : `(${burnRate} * ${budget})`);
  const condition = (w: BurnWindow) =>
    `(${errorRatio(slo, w.long)} > ${threshold(w.burnRate)} and ${errorRatio(slo, w.short)} > ${threshold(w.burnRate)})`;
  return {
    name: `Visits${slo.name[0]!.toUpperCase()}${slo.name.slice(1)}BudgetBurn${spec.speed}`,
    expr: lines(condition(spec.windows[0]), 'or', condition(spec.windows[1])),
    for: spec.for,
    severity: spec.severity,
    labels: { slo: slo.name },
    summary: spec.summary(slo),
    description: `In namespace {{ $labels.namespace }} {{ $value | humanizePercentage }} ${slo.badRequests}${spec.outlook(percent(budget))}`,
  };
}

/** SLIs as error ratios over the windows the burn-rate alerts need. */
export const sloRecordingRules: RuleGroup = { name: 'visits.slo.recording', rules: SLOS.flatMap(sliRules) };

/** The four burn-rate alerts: each objective at each speed. */
export const SLO_ALERTS: readonly Alert[] = SLOS.flatMap((slo) => BURN_RATE_ALERTS.map((spec) => burnRateAlert(slo, spec)));

export function sloAlerts(runbookBaseUrl: string): RuleGroup {
  return {
    name: 'visits.slo.alerts',
    rules: SLO_ALERTS.map((alert) => alertingRule(alert, runbookBaseUrl)),
  };
}
