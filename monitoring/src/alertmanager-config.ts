import {
  CHART_ALERTS,
  CHART_INHIBITIONS,
  CLUSTERS_OFF_THE_PAGER,
  VISITS_ALERTS,
  VISITS_INHIBITIONS,
  visitsReceiver,
  type Receiver,
} from './routing';
import { APP_LABEL } from './rule';

/**
 * Alertmanager's configuration, generated from the routing table (routing.ts) into the
 * kube-prometheus-stack values (stack-values.ts). Where alerts go (keys, URLs) is never here: each
 * receiver reads it from a file of the Secret alertmanager-receivers, which the operator mounts.
 */
export const RECEIVER_SECRETS_DIR = '/etc/alertmanager/secrets/alertmanager-receivers';

/** The Secret's keys, one per receiver. */
export const SECRET_KEYS = {
  pager: 'pagerduty-routing-key',
  chat: 'slack-api-url',
  deadmansSwitch: 'deadmans-switch-url',
} as const;

const file = (key: string): string => `${RECEIVER_SECRETS_DIR}/${key}`;
const [APP_NAME, APP_VALUE] = Object.entries(APP_LABEL)[0]!;
const eq = (name: string, value: string): string => `${name} = "${value}"`;
const re = (name: string, value: string): string => `${name} =~ "${value}"`;
const names = (alerts: readonly string[]): string => re('alertname', [...new Set(alerts)].join('|'));

interface Route {
  receiver?: Receiver;
  matchers?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
}

/** A route per run of chart alerts with the same receiver and extra matchers, in the table's order. */
function chartRoutes(): Route[] {
  // Runs are never merged across one another: an alert's narrower route comes before its broader one.
  const runs: { receiver: Receiver; alerts: string[]; extra: string[] }[] = [];
  for (const alert of CHART_ALERTS.filter((a) => a.route)) {
    const extra = Object.entries(alert.route!).map(([name, value]) => re(name, value));
    const last = runs[runs.length - 1];
    if (last && last.receiver === alert.receiver && JSON.stringify(last.extra) === JSON.stringify(extra)) {
      if (!last.alerts.includes(alert.alert)) last.alerts.push(alert.alert);
    } else runs.push({ receiver: alert.receiver, alerts: [alert.alert], extra });
  }
  return runs.map(({ receiver, alerts, extra }) => ({
    receiver,
    matchers: [alerts.length === 1 ? eq('alertname', alerts[0]!) : names(alerts), ...extra],
  }));
}

function routes(): Route[] {
  const visitsSeverity = (severity: 'critical' | 'warning'): Route => ({
    receiver: visitsReceiver(severity),
    matchers: [eq('severity', severity)],
  });
  const chart = chartRoutes();
  // Watchdog and InfoInhibitor go where they go from every cluster; the switch hears at once, then every minute.
  const everywhere = chart.filter((r) => r.receiver === 'deadmans-switch' || r.receiver === 'null');
  const timed = everywhere.map((r) =>
    r.receiver === 'deadmans-switch' ? { ...r, group_wait: '0s', group_interval: '1m', repeat_interval: '1m' } : r,
  );
  return [
    ...timed,
    // Nothing from these clusters pages; they still reach chat.
    { receiver: 'chat', matchers: [re('cluster', CLUSTERS_OFF_THE_PAGER.join('|'))] },
    ...chart.filter((r) => !everywhere.includes(r)),
    // Every visits alert carries this label whatever its expression keeps (rule.ts).
    { matchers: [eq(APP_NAME, APP_VALUE)], routes: [visitsSeverity('critical'), visitsSeverity('warning')] },
  ];
}

function inhibitRules(): Record<string, unknown>[] {
  const visits = VISITS_INHIBITIONS.map((i) => ({
    source_matchers: [eq(APP_NAME, APP_VALUE), names(i.sources)],
    target_matchers: [eq(APP_NAME, APP_VALUE), names(i.targets)],
    equal: [...i.equal],
  }));
  // The chart's defaults, for everything else: a visits alert is never their target.
  const chart = CHART_INHIBITIONS.map((rule) => ({ ...rule, target_matchers: [...rule.target_matchers, `${APP_NAME} != "${APP_VALUE}"`] }));
  return [...visits, ...chart];
}

/** The text of a notification: what fires, where, and the runbook, for people and for the tests. */
const TITLE = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.cluster }}/{{ .CommonLabels.namespace }})';
const RUNBOOK = '{{ .CommonAnnotations.runbook_url }}';
const LIST = '{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}';

function receivers(): Record<string, unknown>[] {
  return [
    { name: 'null' },
    {
      name: 'pager',
      pagerduty_configs: [
        {
          routing_key_file: file(SECRET_KEYS.pager),
          send_resolved: true,
          description: TITLE,
          links: [{ href: RUNBOOK, text: 'runbook' }],
          details: { alertname: '{{ .CommonLabels.alertname }}', runbook_url: RUNBOOK, alerts: LIST },
        },
      ],
    },
    {
      name: 'chat',
      slack_configs: [{ api_url_file: file(SECRET_KEYS.chat), send_resolved: true, title: TITLE, title_link: RUNBOOK, text: LIST }],
    },
    // Healthchecks.io, Dead Man's Snitch and the like take a plain POST: a webhook is the right type here.
    { name: 'deadmans-switch', webhook_configs: [{ url_file: file(SECRET_KEYS.deadmansSwitch), send_resolved: false }] },
  ];
}

export function alertmanagerConfig(): Record<string, unknown> {
  const visits = VISITS_ALERTS.map((a) => a.name);
  // Every name an inhibition gives is a visits alert: a typo would mute nothing, silently.
  for (const name of VISITS_INHIBITIONS.flatMap((i) => [...i.sources, ...i.targets])) {
    if (!visits.includes(name as (typeof visits)[number]))
      throw new Error(`routing.ts: inhibition names ${name}, which is no visits alert`);
  }
  return {
    global: { resolve_timeout: '5m' },
    route: {
      // Everything else reaches chat, so nothing is dropped silently.
      receiver: 'chat',
      group_by: ['alertname', 'namespace'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: routes(),
    },
    inhibit_rules: inhibitRules(),
    receivers: receivers(),
  };
}
