import { startService, type ServiceProcess } from '../../support/service-process';
import type { ServedRoutes } from './pod-checks';

/**
 * Probe paths are checked against the real service, not a copied list: the built service runs
 * (service/dist, as in the container), and each path is requested on its monitoring port, where
 * the probes are served (the checks require probes on that port); 404 means it is not a route.
 */
export class RouteOracle {
  private constructor(private readonly service: ServiceProcess) {}

  static async start(): Promise<RouteOracle> {
    return new RouteOracle(await startService({ env: { LOG_LEVEL: 'warn' } }));
  }

  async statuses(paths: string[]): Promise<ServedRoutes> {
    const entries = await Promise.all(
      paths.map(async (path) => {
        const res = await fetch(new URL(path, this.service.monitorUrl), { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        return [path, res.status] as const;
      }),
    );
    return new Map(entries);
  }

  async stop(): Promise<void> {
    await this.service.cleanup();
  }
}
