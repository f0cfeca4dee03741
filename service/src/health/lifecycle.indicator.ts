import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { LifecycleState } from '../lifecycle/lifecycle-state';

@Injectable()
export class LifecycleIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleState,
  ) {}

  /** Down from the first SIGTERM on, so the pod leaves the endpoints before the server closes. */
  acceptingTraffic(key: string) {
    const indicator = this.indicators.check(key);
    return this.lifecycle.shuttingDown ? indicator.down({ message: 'shutting down' }) : indicator.up();
  }

  /** Liveness: this process answers; nothing outside it is consulted. */
  alive(key: string) {
    return this.indicators.check(key).up({ uptimeSeconds: Math.round(process.uptime()) });
  }
}
