import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      monitorPort: 8081,
      host: '0.0.0.0',
      dataDir: resolve('./data'),
      podName: hostname(),
      peerService: undefined,
      peerTimeoutMs: 1000,
      peerDnsServer: undefined,
      adminTokenFile: undefined,
      shutdownDelayMs: 5000,
      logLevel: 'info',
      persist: true,
      commit: 'unknown',
    });
    expect(config.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '9000',
      MONITOR_PORT: '9001',
      HOST: '127.0.0.11',
      DATA_DIR: '/var/lib/visits',
      POD_NAME: 'visits-2',
      PEER_SERVICE: 'visits-headless.visits.svc.cluster.local',
      PEER_TIMEOUT_MS: '250',
      PEER_DNS_SERVER: '127.0.0.1:5353',
      ADMIN_TOKEN_FILE: '/vault/secrets/admin-token',
      SHUTDOWN_DELAY_MS: '0',
      LOG_LEVEL: 'debug',
      APP_VERSION: '1.2.3',
      APP_COMMIT: 'abc123',
    });
    expect(config).toEqual({
      port: 9000,
      monitorPort: 9001,
      host: '127.0.0.11',
      dataDir: '/var/lib/visits',
      podName: 'visits-2',
      peerService: 'visits-headless.visits.svc.cluster.local',
      peerTimeoutMs: 250,
      peerDnsServer: '127.0.0.1:5353',
      adminTokenFile: '/vault/secrets/admin-token',
      shutdownDelayMs: 0,
      logLevel: 'debug',
      persist: true,
      version: '1.2.3',
      commit: 'abc123',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['MONITOR_PORT', '65536'],
    // The probes and /metrics need a listener of their own: the same port as the API is refused.
    ['MONITOR_PORT', '8080'],
    ['HOST', 'not-an-ip'],
    ['POD_NAME', 'Bad_Name!'],
    ['PEER_SERVICE', 'has space.local'],
    ['PEER_TIMEOUT_MS', '10'],
    ['PEER_DNS_SERVER', 'dns.example:53'],
    ['SHUTDOWN_DELAY_MS', '1e3'],
    ['SHUTDOWN_DELAY_MS', '300001'],
    ['LOG_LEVEL', 'loud'],
    ['BENCH_NO_PERSIST', 'maybe'],
  ])('refuses %s=%j with a message naming the variable', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(`${name} `);
    expect((caught as Error).message).toContain(JSON.stringify(value));
    expect((caught as Error).message).not.toContain('\n');
  });

  it('switches persistence off only for the benchmark flag', () => {
    expect(loadConfig({ BENCH_NO_PERSIST: '1' }).persist).toBe(false);
    expect(loadConfig({ BENCH_NO_PERSIST: '0' }).persist).toBe(true);
  });
});
