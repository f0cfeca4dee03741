import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the service reads from its environment, validated once at start. */
export interface Config {
  port: number;
  /** The monitoring listener: the kubelet's probes and /metrics, nothing else (probes/monitor-listener.ts). */
  monitorPort: number;
  host: string;
  dataDir: string;
  podName: string;
  /** DNS name of the headless Service; undefined: the cluster view shows this pod alone. */
  peerService: string | undefined;
  /** Per-step deadline of the cluster view: DNS discovery, then each peer's GET /visits. */
  peerTimeoutMs: number;
  /** Tests only: a DNS server ("ip" or "ip:port") instead of the system resolver. */
  peerDnsServer: string | undefined;
  /** File holding the bearer token for PUT /visits; undefined: the route is disabled (404). */
  adminTokenFile: string | undefined;
  shutdownDelayMs: number;
  logLevel: LogLevel;
  /** false only under BENCH_NO_PERSIST=1: the benchmark's in-memory ceiling. */
  persist: boolean;
  version: string;
  commit: string;
}

/** A configuration problem: its message is the one line the operator sees. */
export class ConfigError extends Error {
  constructor(variable: string, rule: string, value: string) {
    super(`invalid configuration: ${variable} ${rule}, got ${JSON.stringify(value)}`);
    this.name = 'ConfigError';
  }
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$/i;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}`, raw);
  }
  return value;
}

function text(env: NodeJS.ProcessEnv, name: string, fallback: string, rule?: [RegExp | ((v: string) => boolean), string]): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (rule) {
    const [test, message] = rule;
    const ok = typeof test === 'function' ? test(raw) : test.test(raw);
    if (!ok) throw new ConfigError(name, message, raw);
  }
  return raw;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(name, 'must be 1/true or 0/false', raw);
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** "10.0.0.10", "127.0.0.1:5353", "[::1]:5353": what dns.Resolver#setServers accepts. */
function isDnsServer(value: string): boolean {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(value) ?? /^([^:]+):(\d{1,5})$/.exec(value);
  const [ip, port] = match ? [match[1]!, Number(match[2])] : [value, 53];
  return isIP(ip) !== 0 && port >= 1 && port <= 65535;
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = text(env, 'LOG_LEVEL', 'info', [
    (v) => (LOG_LEVELS as readonly string[]).includes(v),
    `must be one of ${LOG_LEVELS.join(', ')}`,
  ]) as LogLevel;
  const peer = text(env, 'PEER_SERVICE', '', [DNS_NAME, 'must be a DNS name']);
  const tokenFile = text(env, 'ADMIN_TOKEN_FILE', '', [(v) => !v.includes('\0'), 'must be a file path']);
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const monitorPort = integer(env, 'MONITOR_PORT', 8081, 0, 65535);
  if (monitorPort === port && port !== 0) throw new ConfigError('MONITOR_PORT', 'must differ from PORT', String(monitorPort));
  return {
    port,
    monitorPort,
    host: text(env, 'HOST', '0.0.0.0', [(v) => isIP(v) !== 0, 'must be an IP address to listen on']),
    dataDir: resolve(text(env, 'DATA_DIR', './data')),
    podName: text(env, 'POD_NAME', hostname(), [DNS_NAME, 'must be a DNS name (the pod name)']),
    peerService: peer === '' ? undefined : peer,
    peerTimeoutMs: integer(env, 'PEER_TIMEOUT_MS', 1000, 50, 30_000),
    peerDnsServer: optional(text(env, 'PEER_DNS_SERVER', '', [isDnsServer, 'must be an IP address, optionally with :port'])),
    adminTokenFile: tokenFile === '' ? undefined : resolve(tokenFile),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 5000, 0, 300_000),
    logLevel,
    persist: !flag(env, 'BENCH_NO_PERSIST'),
    version: text(env, 'APP_VERSION', packageVersion()),
    commit: text(env, 'APP_COMMIT', 'unknown'),
  };
}

/** The image bakes APP_VERSION in; a local run falls back to service/package.json. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0-dev';
  }
}
