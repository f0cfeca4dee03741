import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { CounterIndicator } from './counter.indicator';
import { DataVolumeIndicator } from './data-volume.indicator';
import { LifecycleIndicator } from './lifecycle.indicator';

/** Kubernetes probes. Terminus answers 200 with status "ok" or 503 with status "error". */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly counter: CounterIndicator,
    private readonly volume: DataVolumeIndicator,
    private readonly lifecycle: LifecycleIndicator,
  ) {}

  /** Restarting the pod fixes nothing outside the process, so liveness looks at nothing else. */
  @Get('live')
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  live() {
    return this.health.check([() => this.lifecycle.alive('process')]);
  }

  @Get('ready')
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  ready() {
    return this.health.check([
      () => this.counter.loaded('counter'),
      () => this.volume.writable('data_dir'),
      () => this.volume.freeSpace('data_volume'),
      () => this.counter.persisting('persist'),
      () => this.lifecycle.acceptingTraffic('lifecycle'),
    ]);
  }

  @Get('startup')
  @HealthCheck()
  @Header('Cache-Control', 'no-store')
  startup() {
    return this.health.check([() => this.counter.loaded('counter')]);
  }
}
