import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { Logger } from '../logging/logger';
import type { LifecycleState } from './lifecycle-state';

export interface ShutdownOptions {
  app: INestApplication;
  lifecycle: LifecycleState;
  logger: Logger;
  delayMs: number;
  /** How long in-flight requests get once the server stops accepting; then open sockets are cut. */
  drainTimeoutMs?: number;
  exit?: (code: number) => void;
}

/**
 * A client that keeps a half-sent request open would hold the close until the request
 * timeout (10 s). Cutting it costs nothing durable: an unanswered visit was never acknowledged.
 */
export const DRAIN_TIMEOUT_MS = 5000;

/**
 * SIGTERM (or SIGINT): readiness goes down at once while the server keeps serving for
 * `delayMs`, so endpoints and load balancers stop sending traffic; then the server stops
 * accepting, finishes in-flight requests, the store flushes (Nest shutdown hooks) and the
 * process exits 0. A second signal exits at once.
 */
export function handleShutdownSignals({
  app,
  lifecycle,
  logger,
  delayMs,
  drainTimeoutMs = DRAIN_TIMEOUT_MS,
  exit = (code) => process.exit(code),
}: ShutdownOptions): void {
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
      const deadline = setTimeout(() => {
        logger.warn({ drainTimeoutMs }, 'drain deadline passed: closing the connections still open');
        (app.getHttpServer() as Server).closeAllConnections();
      }, drainTimeoutMs);
      deadline.unref();
      app.close().then(
        () => {
          clearTimeout(deadline);
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
