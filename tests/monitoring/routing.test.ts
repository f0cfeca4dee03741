/**
 * The routing table (monitoring/src/routing.ts) against the Alertmanager configuration committed
 * in clusters/<name>: `amtool config routes test` for every row, the receivers' types and secrets,
 * and Alertmanager's storage, down to a silence that outlives a restart of the real binary.
 * The end-to-end delivery of each row is alertmanager-e2e.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RECEIVER_SECRETS_DIR, SECRET_KEYS } from '../../monitoring/src/alertmanager-config';
import { loadConfig } from '../../monitoring/src/config';
import { routingTable, type Row } from '../../monitoring/src/routing';
import { REPO_ROOT } from '../support/repo-root';
import { amApi, amtool, committedConfig, silence, startAlertmanager, writeConfig, type AlertmanagerProcess } from './support/alertmanager';
import { CLUSTERS, alertsOf, renderOverlay, ruleGroupsOf, stackValues } from './support/rendered-monitoring';

jest.setTimeout(900_000); // the first run builds Alertmanager (tools/build.sh)

const run = promisify(execFile);
const ROWS = routingTable(loadConfig(REPO_ROOT).runbookBaseUrl);
let dir: string;
let configFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'visits-routing-'));
  for (const key of Object.values(SECRET_KEYS)) await writeFile(join(dir, key), 'http://127.0.0.1:9/unused\n');
  configFile = await writeConfig(join(dir, 'config'), committedConfig(dir));
  await run(amtool(), ['check-config', configFile]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const labelsOf = (row: Row): string[] =>
  Object.entries({ alertname: row.alert, cluster: row.cluster, ...row.labels }).map(([name, value]) => `${name}=${value}`);

/** The receivers amtool says the committed routes pick for `row`'s labels, or its error. */
async function routedTo(row: Row, expected: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout } = await run(amtool(), [
      'config',
      'routes',
      'test',
      `--config.file=${configFile}`,
      `--verify.receivers=${expected}`,
      ...labelsOf(row),
    ]);
    return { ok: true, output: stdout.trim() };
  } catch (err) {
    const { stdout, stderr } = err as { stdout: string; stderr: string };
    return { ok: false, output: `${stdout}${stderr}`.trim() };
  }
}

describe('the routing table', () => {
  it('has a row for every alert the visits rules define, to pager or chat', () => {
    const names = alertsOf(ruleGroupsOf(renderOverlay('prod'))).map((r) => r.alert!);
    for (const name of names) {
      const row = ROWS.find((r) => r.alert === name && r.cluster === 'prod');
      expect({ name, receiver: row?.receiver }).toEqual({ name, receiver: expect.stringMatching(/^(pager|chat)$/) });
    }
  });

  it.each(ROWS.map((row) => [`${row.alert} (${row.cluster}, ${labelsOf(row).slice(2).join(' ')}) -> ${row.receiver}`, row] as const))(
    'amtool: %s',
    async (_name, row) => {
      const result = await routedTo(row, row.receiver);
      expect({ labels: labelsOf(row), ...result, ok: result.ok }).toMatchObject({ ok: true });
    },
  );

  it('amtool fails a row routed elsewhere (so the checks above can fail)', async () => {
    const row = ROWS.find((r) => r.alert === 'VisitsTargetsAbsent' && r.cluster === 'prod')!;
    expect((await routedTo(row, 'chat')).ok).toBe(false);
  });
});

describe.each(CLUSTERS)('clusters/%s: receivers and storage', (cluster) => {
  // Helm values are untyped: read field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let am: Record<string, any>;
  beforeAll(() => {
    am = stackValues(cluster).alertmanager;
  });

  it('pages through PagerDuty and chats through Slack, each key or URL from a file of the Secret', () => {
    const receivers = Object.fromEntries(am.config.receivers.map((r: { name: string }) => [r.name, r]));
    expect(receivers.pager.pagerduty_configs).toEqual([
      expect.objectContaining({ routing_key_file: `${RECEIVER_SECRETS_DIR}/${SECRET_KEYS.pager}`, send_resolved: true }),
    ]);
    expect(receivers.chat.slack_configs).toEqual([
      expect.objectContaining({ api_url_file: `${RECEIVER_SECRETS_DIR}/${SECRET_KEYS.chat}`, send_resolved: true }),
    ]);
    // A generic webhook only where a generic webhook is what listens: the dead man's switch.
    const webhooks = am.config.receivers.filter((r: Record<string, unknown>) => r.webhook_configs).map((r: { name: string }) => r.name);
    expect(webhooks).toEqual(['deadmans-switch']);
    expect(JSON.stringify(am.config)).not.toMatch(/"(url|routing_key|service_key|api_url)":/);
    expect(am.alertmanagerSpec.secrets).toEqual(['alertmanager-receivers']);
  });

  it('keeps silences and the notification log on a volume', () => {
    expect(am.alertmanagerSpec.storage?.volumeClaimTemplate?.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: expect.stringMatching(/^\d+Gi$/) } },
    });
  });
});

describe('a silence outlives an Alertmanager restart on the same storage (what the volume keeps)', () => {
  let alertmanager: AlertmanagerProcess | undefined;
  afterAll(async () => {
    await alertmanager?.stop();
  });

  it('is still there, active, after the process is stopped and started again', async () => {
    const storage = join(dir, 'storage');
    alertmanager = await startAlertmanager(configFile, storage);
    const id = await silence(alertmanager, { alertname: 'VisitsPodRestarting', pod: 'visits-2' }, 'maintenance of visits-2');
    const port = new URL(alertmanager.url).port;
    await alertmanager.stop(); // SIGTERM: Alertmanager writes its silences snapshot on the way out
    alertmanager = await startAlertmanager(configFile, storage, Number(port));
    const silences = await amApi<{ id: string; status: { state: string }; comment: string }[]>(alertmanager, 'silences');
    expect(silences.find((s) => s.id === id)).toMatchObject({ status: { state: 'active' }, comment: 'maintenance of visits-2' });

    // On another (empty) storage path, as on the chart's emptyDir, it is gone: the check can fail.
    await alertmanager.stop();
    alertmanager = await startAlertmanager(configFile, join(dir, 'empty-dir'), Number(port));
    expect((await amApi<{ id: string }[]>(alertmanager, 'silences')).map((s) => s.id)).not.toContain(id);
  });
});
