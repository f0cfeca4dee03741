import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RestoreRoute } from './admin/restore.route';
import { ClusterController } from './cluster/cluster.controller';
import { ClusterView } from './cluster/cluster-view';
import { CounterRoutes } from './counter/counter.routes';
import { CounterStore } from './counter/counter-store';
import { CounterIndicator } from './health/counter.indicator';
import { DataVolumeIndicator } from './health/data-volume.indicator';
import { HealthController } from './health/health.controller';
import { LifecycleIndicator } from './health/lifecycle.indicator';
import { LifecycleState } from './lifecycle/lifecycle-state';
import { AppMetrics } from './metrics/app-metrics';
import { observeCluster } from './metrics/cluster-observer';
import { MetricsController } from './metrics/metrics.controller';
import type { ServiceContext } from './service-context';
import { CLUSTER_OBSERVER, CONFIG, COUNT_FILE, LOGGER } from './tokens';
import { VersionController } from './version/version.controller';

const CONTEXT = Symbol('CONTEXT');

@Module({})
export class AppModule implements OnApplicationShutdown {
  constructor(@Inject(CONTEXT) private readonly context: ServiceContext) {}

  /** Wires the already-loaded context into Nest; controllers and indicators get its parts. */
  static register(context: ServiceContext): DynamicModule {
    return {
      module: AppModule,
      // Terminus logs nothing itself: a failing probe is an answer, not an error.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [ClusterController, HealthController, MetricsController, VersionController],
      providers: [
        { provide: CONTEXT, useValue: context },
        { provide: CONFIG, useValue: context.config },
        { provide: LOGGER, useValue: context.logger },
        { provide: COUNT_FILE, useValue: context.file },
        { provide: CounterStore, useValue: context.store },
        { provide: AppMetrics, useValue: context.metrics },
        { provide: CLUSTER_OBSERVER, useValue: observeCluster(context.metrics) },
        { provide: LifecycleState, useValue: context.lifecycle },
        CounterIndicator,
        DataVolumeIndicator,
        LifecycleIndicator,
        ClusterView,
        CounterRoutes,
        RestoreRoute,
      ],
    };
  }

  /** Runs after the HTTP server has closed: every acknowledged visit is already on disk; this waits for the rest. */
  async onApplicationShutdown(): Promise<void> {
    await this.context.store.close();
  }
}
