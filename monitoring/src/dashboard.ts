import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { RECORDED } from './recording';
import { SLOS, budgetRemaining, percent } from './slos';

/**
 * The Grafana dashboard, built with Grafana's Foundation SDK; dashboard-schema.ts checks the result
 * against @grafana/schema before it is written. It stays a v1 (classic JSON) dashboard, which the
 * SDK marks deprecated in favour of v2: Grafana's dashboard sidecar provisions v1 JSON files.
 *
 * Panel ids are how Grafana links, embeds and remembers panels: never change or reuse one. Every
 * query reads the selected namespace; most read the recording rules, so the dashboard and the
 * alerts see the same numbers.
 */
export const DASHBOARD_FILE = 'apps/visits/components/monitoring/dashboards/visits.json';

// No datasource uid is written anywhere: every query goes to the Prometheus the variable selects.
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const NS = 'namespace="$namespace"';

interface PanelSpec {
  id: number;
  title: string;
  description: string;
  gridPos: dashboard.GridPos;
  unit: string;
  /** [PromQL, legend]; refIds A, B, C… in this order. */
  queries: [string, string][];
}

/** What every panel builder of the SDK offers; the panels below differ only in their type. */
interface PanelBuilder<Self> {
  id(id: number): Self;
  title(title: string): Self;
  description(description: string): Self;
  datasource(datasource: typeof DATASOURCE): Self;
  gridPos(gridPos: dashboard.GridPos): Self;
  unit(unit: string): Self;
  withTarget(target: prometheus.DataqueryBuilder): Self;
}

function panel<B extends PanelBuilder<B>>(builder: B, spec: PanelSpec): B {
  builder.id(spec.id).title(spec.title).description(spec.description).datasource(DATASOURCE).gridPos(spec.gridPos).unit(spec.unit);
  spec.queries.forEach(([expr, legend], i) =>
    builder.withTarget(
      new prometheus.DataqueryBuilder()
        .datasource(DATASOURCE)
        .expr(expr)
        .legendFormat(legend)
        .refId(String.fromCharCode(65 + i))
        .range(),
    ),
  );
  return builder;
}

// The SDK fills the options Grafana's schema requires but gives no default (legend.showLegend,
// tooltip.sort, reduceOptions.calcs) with zero values: a hidden legend, a sorted tooltip, no
// calculation. Grafana's own panels default them to a shown legend, no sort and the last non-null
// value, which is what this dashboard has always shown: say so explicitly.
const timeSeries = () =>
  new timeseries.PanelBuilder()
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Single).sort(common.SortOrder.None));
const lastNotNull = () => new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']);
const singleStat = () => new stat.PanelBuilder().reduceOptions(lastNotNull());
const barGauge = () => new bargauge.PanelBuilder().reduceOptions(lastNotNull());

/** Grafana's alert list, filtered to this application's alerts in the selected namespace. */
function alertList(): dashboard.PanelBuilder {
  return new dashboard.PanelBuilder()
    .type('alertlist')
    .id(13)
    .title('Visits alerts')
    .gridPos({ h: 8, w: 24, x: 0, y: 32 })
    .description('Firing and pending alerts whose name starts with Visits, for this namespace (runbooks: docs/runbooks.md).')
    .options({
      viewMode: 'list',
      groupMode: 'default',
      groupBy: [],
      maxItems: 20,
      sortOrder: 1,
      dashboardAlerts: false,
      alertName: 'Visits',
      alertInstanceLabelFilter: `{${NS}}`,
      stateFilter: { firing: true, pending: true, noData: false, normal: false, error: true },
      showInstances: true,
    });
}

const quantiles = (qs: number[], series: string, by: string, legend: (q: string) => string): [string, string][] =>
  qs.map((q) => [`histogram_quantile(${q}, sum by (${by}) (${series}))`, legend(`p${Math.round(q * 100)}`)]);

export function visitsDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('Visits')
    .uid('visits')
    .description(
      'The visits counter: traffic, SLOs, durability and its Kubernetes objects. Queries read the recording rules of the visits PrometheusRule.',
    )
    .tags(['visits'])
    .editable()
    .version(1)
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource')
        .label('Data source')
        .type('prometheus')
        .hide(dashboard.VariableHide.DontHide)
        .regex('')
        .includeAll(false)
        .multi(false),
    )
    .withVariable(
      new dashboard.QueryVariableBuilder('namespace')
        .label('Namespace')
        .datasource(DATASOURCE)
        .query({ query: 'label_values(kube_statefulset_replicas{statefulset="visits"}, namespace)', refId: 'namespace' })
        .definition('label_values(kube_statefulset_replicas{statefulset="visits"}, namespace)')
        .hide(dashboard.VariableHide.DontHide)
        .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
        .regex('')
        .sort(dashboard.VariableSort.AlphabeticalAsc)
        .includeAll(false)
        .multi(false),
    )
    .annotations([])
    .withPanel(
      panel(timeSeries(), {
        id: 1,
        title: 'Visits per pod',
        description: "The durable count on each replica's volume (visits_persisted). Each replica counts its own visits.",
        gridPos: { h: 8, w: 12, x: 0, y: 0 },
        unit: 'short',
        queries: [[`${RECORDED.persisted}{${NS}}`, '{{pod}}']],
      }),
    )
    .withPanel(
      panel(singleStat(), {
        id: 2,
        title: 'Total visits',
        description: "Sum of the replicas' durable counts.",
        gridPos: { h: 4, w: 4, x: 12, y: 0 },
        unit: 'short',
        queries: [[`sum(${RECORDED.persisted}{${NS}})`, 'total']],
      }),
    )
    .withPanel(
      panel(singleStat(), {
        id: 3,
        title: 'Targets up',
        description: "Scraped replicas that answer /metrics, against the StatefulSet's desired replicas.",
        gridPos: { h: 4, w: 4, x: 16, y: 0 },
        unit: 'short',
        queries: [
          [`sum(up{job="visits", ${NS}})`, 'up'],
          [`${RECORDED.replicasDesired}{${NS}}`, 'desired'],
        ],
      }),
    )
    .withPanel(
      panel(singleStat(), {
        id: 4,
        title: 'Error budget remaining (30 days)',
        description: '1 = untouched, 0 = spent (docs/slos.md).',
        gridPos: { h: 8, w: 4, x: 20, y: 0 },
        unit: 'percentunit',
        queries: SLOS.map((slo) => [
          `${budgetRemaining(slo)}{${NS}}`,
          [slo.name, `${percent(slo.objective)} %`, slo.bound].filter(Boolean).join(' '),
        ]),
      }),
    )
    .withPanel(
      panel(new table.PanelBuilder().showHeader(true), {
        id: 5,
        title: 'Version',
        description: 'Replicas per running version (visits_build_info).',
        gridPos: { h: 4, w: 8, x: 12, y: 4 },
        unit: 'short',
        queries: [[`count by (version, commit) (visits_build_info{job="visits", ${NS}})`, '{{version}} {{commit}}']],
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 6,
        title: 'Request rate by status',
        description: 'API requests per second by HTTP status (probes and /metrics are not counted).',
        gridPos: { h: 8, w: 12, x: 0, y: 8 },
        unit: 'reqps',
        queries: [[`sum by (status_code) (${RECORDED.requestRate}{${NS}})`, '{{status_code}}']],
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 7,
        title: 'Latency p50 / p95 / p99 (/ and /visits, every method)',
        description: 'The latency SLO is 99 % within 100 ms; 25 ms is the healthy reference for p95.',
        gridPos: { h: 8, w: 12, x: 12, y: 8 },
        unit: 's',
        queries: quantiles([0.5, 0.95, 0.99], `${RECORDED.requestDurationBuckets}{${NS}, route=~"/|/visits"}`, 'le', (p) => p),
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 8,
        title: 'Persist failures (5m)',
        description: 'Durable writes that failed, by pod and errno. Any non-zero value means 503s (runbook VisitsPersistFailing).',
        gridPos: { h: 8, w: 12, x: 0, y: 16 },
        unit: 'short',
        queries: [[`sum by (pod, reason) (${RECORDED.persistFailures}{${NS}})`, '{{pod}} {{reason}}']],
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 9,
        title: 'Persist duration p50 / p99 per pod',
        description: 'One durable write: temp file, fdatasync, rename, directory fsync; shared by concurrent visits.',
        gridPos: { h: 8, w: 12, x: 12, y: 16 },
        unit: 's',
        queries: quantiles([0.5, 0.99], `${RECORDED.persistDurationBuckets}{${NS}}`, 'pod, le', (p) => `{{pod}} ${p}`),
      }),
    )
    .withPanel(
      panel(barGauge(), {
        id: 10,
        title: 'Data volume used per PVC',
        description: "From the kubelet's volume stats of the data-visits-N PVCs. Alerts at 90 % and on a linear prediction.",
        gridPos: { h: 8, w: 8, x: 0, y: 24 },
        unit: 'percentunit',
        queries: [[`1 - ${RECORDED.dataVolumeAvailable}{${NS}}`, '{{persistentvolumeclaim}}']],
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 11,
        title: 'Replicas ready vs desired',
        description: 'From kube-state-metrics.',
        gridPos: { h: 8, w: 8, x: 8, y: 24 },
        unit: 'short',
        queries: [
          [`${RECORDED.replicasReady}{${NS}}`, 'ready'],
          [`${RECORDED.replicasDesired}{${NS}}`, 'desired'],
        ],
      }),
    )
    .withPanel(
      panel(timeSeries(), {
        id: 12,
        title: 'Restarts (30m)',
        description: 'Container restarts per pod over 30 minutes (alert at 3).',
        gridPos: { h: 8, w: 8, x: 16, y: 24 },
        unit: 'short',
        queries: [[`${RECORDED.podRestarts}{${NS}}`, '{{pod}}']],
      }),
    )
    .withPanel(alertList())
    .build();
}
