import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { collectOutput, stopChild } from '../../support/child-process';
import { waitFor } from '../../support/wait-for';
import { freePort } from '../../support/service-process';
import { prometheusTools } from './prometheus-tools';

/** A real `prometheus` server on loopback: its own port, storage and config in `dir`. */
export interface PrometheusServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  honor_labels?: boolean;
  scheme?: 'http' | 'https';
  tls_config?: Record<string, string>;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  kubernetes_sd_configs?: Record<string, unknown>[];
  relabel_configs?: Record<string, unknown>[];
}

export async function startPrometheus(options: {
  dir: string;
  rulesText: string;
  scrapeConfigs: ScrapeConfig[];
  intervalSeconds?: number;
  /** The prometheus binary; Debian's by default. */
  binary?: string;
  /**
   * Alertmanagers (host:port) to send alerts to. Firing alerts are re-sent every 2 s, so one that
   * fired before the Alertmanager was discovered is not held back for the default minute.
   */
  alertmanagers?: string[];
  /** Labels Prometheus adds to every alert it sends (prometheusSpec.externalLabels in a cluster). */
  externalLabels?: Record<string, string>;
}): Promise<PrometheusServer> {
  const interval = `${options.intervalSeconds ?? 1}s`;
  await writeFile(join(options.dir, 'rules.yaml'), options.rulesText);
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval, external_labels: options.externalLabels },
    rule_files: ['rules.yaml'],
    scrape_configs: options.scrapeConfigs,
    ...(options.alertmanagers ? { alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] } } : {}),
  };
  await writeFile(join(options.dir, 'prometheus.yml'), stringify(config));
  const port = await freePort('127.0.0.1');
  const child: ChildProcess = spawn(
    options.binary ?? prometheusTools().prometheus,
    [
      `--config.file=${join(options.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(options.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(options.alertmanagers ? ['--rules.alert.resend-delay=2s'] : []),
    ],
    { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusServer = {
    url,
    output,
    stop: () => stopChild(child),
  };
  try {
    await waitFor('prometheus to be ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${output()}`);
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      return response?.status === 200;
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

interface ApiResponse<T> {
  status: string;
  data: T;
  error?: string;
}

export async function api<T>(server: PrometheusServer, path: string, params: Record<string, string> = {}): Promise<T> {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(`${server.url}/api/v1/${path}${query ? `?${query}` : ''}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as ApiResponse<T>;
  if (body.status !== 'success') throw new Error(`${path} ${query}: ${body.error ?? response.status}`);
  return body.data;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query; an invalid expression throws with Prometheus's message. */
export async function instantQuery(server: PrometheusServer, expr: string): Promise<Sample[]> {
  const data = await api<{ resultType: string; result: Sample[] }>(server, 'query', { query: expr });
  return data.result;
}

export interface ActiveAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export async function activeAlerts(server: PrometheusServer): Promise<ActiveAlert[]> {
  return (await api<{ alerts: ActiveAlert[] }>(server, 'alerts')).alerts;
}
