import { selects } from '../support/label-selector';
import { findOne, renderOverlay, type KubeObject } from './support/rendered-monitoring';

/**
 * Prometheus Operator's selection, replayed on the rendered overlays: the ServiceMonitor must
 * select the client Service `visits` and only it (selecting the headless Service too would scrape
 * every pod twice and double every rate), on its port named monitor at /metrics, in its own namespace.
 */
interface ServiceMonitorSpec {
  selector: { matchLabels?: Record<string, string> };
  namespaceSelector?: unknown;
  endpoints: { port?: string; path?: string; interval?: string }[];
}

describe.each(['dev', 'prod'])('the %s overlay', (env) => {
  let objects: KubeObject[];
  beforeAll(() => {
    objects = renderOverlay(env);
  });

  it('selects exactly the client Service visits, on its port monitor at /metrics', () => {
    const monitor = findOne(objects, 'ServiceMonitor', 'visits');
    const spec = monitor.spec as ServiceMonitorSpec;
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(spec.namespaceSelector).toBeUndefined(); // its own namespace: the overlay's
    const selected = objects.filter((o) => o.kind === 'Service' && selects(spec.selector, o.metadata.labels ?? {}));
    expect(selected.map((s) => s.metadata.name)).toEqual(['visits']);
    expect(selected[0]!.metadata.namespace).toBe(monitor.metadata.namespace);
    const ports = (selected[0]!.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
    expect(spec.endpoints).toHaveLength(1);
    expect(spec.endpoints[0]!.port).toBe('monitor');
    expect(ports).toContain(spec.endpoints[0]!.port);
    expect(spec.endpoints[0]!.path).toBe('/metrics');
  });

  it('puts the rules, the monitor and the dashboard in the namespace the rules expect (visits or visits-<env>)', () => {
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ConfigMap']) {
      const namespace = findOne(objects, kind, kind === 'ConfigMap' ? 'visits-dashboard' : 'visits').metadata.namespace;
      expect(namespace).toMatch(/^visits(-[a-z0-9-]+)?$/);
    }
  });
});
