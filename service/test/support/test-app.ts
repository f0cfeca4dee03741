import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.factory';
import { loadConfig, type Config } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import { MONITOR_ROUTES } from '../../src/probes/monitor-listener';
import { openServiceContext, type ServiceContext } from '../../src/service-context';

export interface TestApp {
  app: NestFastifyApplication;
  context: ServiceContext;
  dataDir: string;
  url: string;
  /** The monitoring listener's base URL: probes and /metrics. */
  monitorUrl: string;
  /** Parsed JSON log lines the service wrote. */
  logs: Array<Record<string, unknown>>;
  get(path: string): Promise<{ status: number; body: unknown; headers: Headers; text: string }>;
  close(): Promise<void>;
}

/**
 * The whole service in-process through @nestjs/testing with the real Fastify adapter, listening
 * on a real loopback port, a fresh temporary data directory and its own metrics registry.
 */
export async function createTestApp(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), 'visits-e2e-')));
  const config = { ...loadConfig({ POD_NAME: 'visits-0', ...env, DATA_DIR: dataDir }), ...overrides };
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('info', config.podName, sink);
  const context = await openServiceContext(config, logger);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register(context)] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(), { logger: false });
  const monitor = configureApp(app, context);
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const monitorUrl = `http://127.0.0.1:${await monitor.listen(0, '127.0.0.1')}`;

  return {
    app,
    context,
    dataDir,
    url,
    monitorUrl,
    logs,
    /** Probes and /metrics go to the monitoring port, as the kubelet's and Prometheus' requests do. */
    async get(path) {
      const base = MONITOR_ROUTES.has(path) ? monitorUrl : url;
      const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: response.status, body, headers: response.headers, text };
    },
    async close() {
      await app.close();
      if (overrides.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
