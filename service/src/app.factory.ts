import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { closeConnectionsWhileDraining } from './lifecycle/close-connections-while-draining';
import { NestPinoLogger } from './logging/nest-logger';
import { recordHttpMetrics } from './metrics/http-metrics.hook';
import type { ServiceContext } from './service-context';

/**
 * Fastify rather than Express: about twice the requests per second for the same Nest
 * controllers (docs/architecture.md), and a route template on every request for metrics.
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: 16 * 1024,
    // Slow or stuck clients cannot hold a socket for ever.
    requestTimeout: 10_000,
    connectionTimeout: 10_000,
    // Keep-alive longer than typical proxies' idle timeouts, so they close first.
    keepAliveTimeout: 65_000,
    // Requests that still arrive while closing are served, not refused: the delay has already
    // taken the pod out of the endpoints, and a served visit beats a 503.
    return503OnClosing: false,
  });
}

/** Everything that must hold both in production and in tests that build the app themselves. */
export function configureApp(app: NestFastifyApplication, context: ServiceContext): void {
  const fastify = app.getHttpAdapter().getInstance();
  recordHttpMetrics(fastify, context.metrics);
  closeConnectionsWhileDraining(fastify, context.lifecycle);
}

export async function createApp(context: ServiceContext): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(context), createHttpAdapter(), {
    logger: new NestPinoLogger(context.logger),
    abortOnError: false,
  });
  configureApp(app, context);
  await app.init();
  return app;
}
