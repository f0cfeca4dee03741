import { execFileSync, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { RECEIVER_SECRETS_DIR } from '../../../monitoring/src/alertmanager-config';
import { collectOutput, stopChild } from '../../support/child-process';
import { REPO_ROOT } from '../../support/repo-root';
import { freePort } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';
import { stackValues } from './rendered-monitoring';

/**
 * Alertmanager 0.31.0 and amtool, built from their module by tools/build.sh (Debian's 0.25 rejects
 * the `*_file` receiver settings), and a real Alertmanager on loopback for the tests.
 */
let bin: string | undefined;

/** The directory holding `alertmanager` and `amtool` (built once, then cached by tools/build.sh). */
export function alertmanagerBin(): string {
  bin ??= execFileSync('bash', [join(REPO_ROOT, 'tools/build.sh'), 'alertmanager'], { encoding: 'utf8', timeout: 900_000 }).trim();
  return bin;
}

export const amtool = (): string => join(alertmanagerBin(), 'amtool');

/**
 * The committed Alertmanager configuration of clusters/<cluster>, its receivers' secret files
 * moved to `secretsDir` (the test writes them there). `change` may shorten durations; nothing else
 * should differ from what the cluster runs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function committedConfig(secretsDir: string, cluster = 'prod', change?: (config: any) => void): Record<string, unknown> {
  const text = stringify(stackValues(cluster).alertmanager.config).replaceAll(`${RECEIVER_SECRETS_DIR}/`, `${secretsDir}/`);
  const config = parse(text);
  change?.(config);
  return config;
}

export async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'alertmanager.yml');
  await writeFile(file, stringify(config));
  return file;
}

export interface AlertmanagerProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** A real Alertmanager on a free loopback port, no cluster gossip, its state in `storagePath`. */
export async function startAlertmanager(configFile: string, storagePath: string, port?: number): Promise<AlertmanagerProcess> {
  const listen = port ?? (await freePort());
  const child = spawn(
    join(alertmanagerBin(), 'alertmanager'),
    [
      `--config.file=${configFile}`,
      `--storage.path=${storagePath}`,
      `--web.listen-address=127.0.0.1:${listen}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${listen}`;
  const process = { url, output, stop: () => stopChild(child) };
  try {
    await waitFor('alertmanager ready', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited:\n${output()}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    });
  } catch (err) {
    await process.stop();
    throw err;
  }
  return process;
}

export async function amApi<T>(alertmanager: AlertmanagerProcess, path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${alertmanager.url}/api/v2/${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Creates a silence for an hour; resolves with its id. */
export async function silence(alertmanager: AlertmanagerProcess, labels: Record<string, string>, comment: string): Promise<string> {
  const created = await amApi<{ silenceID: string }>(alertmanager, 'silences', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      createdBy: 'visits-tests',
      comment,
    }),
  });
  return created.silenceID;
}
