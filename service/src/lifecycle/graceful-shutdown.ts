import type { INestApplication } from '@nestjs/common';
import type { Logger } from '../logging/logger';
import type { LifecycleState } from './lifecycle-state';

export interface ShutdownOptions {
  app: INestApplication;
  lifecycle: LifecycleState;
  logger: Logger;
  delayMs: number;
  exit?: (code: number) => void;
}

/**
 * SIGTERM (or SIGINT): readiness goes down at once while the server keeps serving for
 * `delayMs`, so endpoints and load balancers stop sending traffic; then the server stops
 * accepting, finishes in-flight requests, the store flushes (Nest shutdown hooks) and the
 * process exits 0. A second signal exits at once.
 */
export function handleShutdownSignals({ app, lifecycle, logger, delayMs, exit = (code) => process.exit(code) }: ShutdownOptions): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now without draining');
      exit(1);
      return;
    }
    stopping = true;
    lifecycle.beginShutdown();
    logger.info({ signal, delayMs }, 'shutdown: readiness is down, still serving until the delay ends');
    setTimeout(() => {
      app.close().then(
        () => {
          logger.info('shutdown complete: in-flight requests finished and the counter is flushed');
          exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    }, delayMs);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
