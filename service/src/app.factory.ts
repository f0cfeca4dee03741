import type { RequestListener } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { HTTP_LIMITS } from './http/http-limits';
import { createHttpServer } from './http/http-server';
import { closeConnectionsWhileDraining } from './lifecycle/close-connections-while-draining';
import { NestPinoLogger } from './logging/nest-logger';
import { recordHttpMetrics } from './metrics/http-metrics.hook';
import { MonitorListener } from './probes/monitor-listener';
import type { ServiceContext } from './service-context';

/**
 * Fastify rather than Express: about twice the requests per second for the same Nest
 * controllers (docs/architecture.md), and a route template on every request for metrics.
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    // Timeouts, connection and pending-request limits live with the server (http/http-server.ts).
    serverFactory: (handler: RequestListener) => createHttpServer(handler),
    bodyLimit: HTTP_LIMITS.bodyBytes,
    // The parser's refusals are answered on the server itself (http/client-errors.ts), not by Fastify.
    clientErrorHandler: () => undefined,
    // Requests that still arrive while closing are served, not refused: the delay has already
    // taken the pod out of the endpoints, and a served visit beats a 503.
    return503OnClosing: false,
  });
}

/**
 * Everything that must hold both in production and in tests that build the app themselves.
 * Returns the monitoring listener (probes and /metrics): listen on it after the app.
 */
export function configureApp(app: NestFastifyApplication, context: ServiceContext): MonitorListener {
  const fastify = app.getHttpAdapter().getInstance();
  const monitor = new MonitorListener(fastify);
  recordHttpMetrics(fastify, context.metrics);
  closeConnectionsWhileDraining(fastify, context.lifecycle);
  return monitor;
}

export async function createApp(context: ServiceContext): Promise<{ app: NestFastifyApplication; monitor: MonitorListener }> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(context), createHttpAdapter(), {
    logger: new NestPinoLogger(context.logger),
    abortOnError: false,
  });
  const monitor = configureApp(app, context);
  await app.init();
  return { app, monitor };
}
