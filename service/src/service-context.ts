import type { Config } from './config/config';
import { CounterStore } from './counter/counter-store';
import { DurableCountFile, MemoryCountFile, type CountFile } from './counter/data-file';
import { LifecycleState } from './lifecycle/lifecycle-state';
import type { Logger } from './logging/logger';
import { AppMetrics } from './metrics/app-metrics';
import { observeStore } from './metrics/store-observer';

/**
 * The parts of the service that are not HTTP, built and loaded before Nest starts: a data
 * file that cannot be trusted stops start-up here, with one clear error, before any port opens.
 */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  metrics: AppMetrics;
  file: CountFile;
  store: CounterStore;
  lifecycle: LifecycleState;
}

export async function openServiceContext(config: Config, logger: Logger): Promise<ServiceContext> {
  const metrics = new AppMetrics(config);
  const file = config.persist ? new DurableCountFile(config.dataDir) : new MemoryCountFile();
  const store = new CounterStore(file, observeStore(metrics, logger));
  const count = await store.load();
  metrics.visitsPersisted.set(count);
  logger.info({ file: file.path, visits: count }, 'counter loaded');
  if (!config.persist) logger.warn('BENCH_NO_PERSIST is set: visits are NOT persisted (benchmark only)');
  return { config, logger, metrics, file, store, lifecycle: new LifecycleState() };
}
