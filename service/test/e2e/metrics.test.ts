import { sampleValue } from '@visits/test-support/prometheus-text';
import { createTestApp, type TestApp } from '../support/test-app';

describe('metrics', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({}, { APP_VERSION: '2.0.0', APP_COMMIT: 'feedbee' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('exposes the contract metrics (docs/architecture.md#metrics) in Prometheus text format', async () => {
    await Promise.all([t.get('/'), t.get('/'), t.get('/'), t.get('/visits')]);
    const scrape = await t.get('/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = scrape.text;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE visits_recorded_total counter');
    expect(text).toContain('# TYPE visits_persisted gauge');
    expect(text).toContain('# TYPE visits_persist_duration_seconds histogram');
    expect(text).toContain('# TYPE visits_persist_failures_total counter');
    expect(sampleValue(text, 'visits_build_info{version="2.0.0",commit="feedbee"}')).toBe(1);
    expect(sampleValue(text, 'visits_recorded_total')).toBe(3);
    expect(sampleValue(text, 'visits_persisted')).toBe(3);
    expect(sampleValue(text, 'visits_persist_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'visits_persist_failures_total{reason="ENOSPC"}')).toBe(0);
    // prom-client's default process and Node.js metrics
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('labels requests by route template and status; probes and scrapes are not recorded', async () => {
    await t.get('/');
    await t.get('/visits');
    await t.get('/does/not/exist/12345');
    await t.get('/another/unknown/path');
    await t.get('/health/ready');
    await t.get('/health/live');
    await t.get('/metrics');
    const text = (await t.get('/metrics')).text;
    const count = (labels: string) => sampleValue(text, `http_request_duration_seconds_count{${labels}}`);
    expect(count('method="GET",route="/",status_code="200"')).toBe(1);
    expect(count('method="GET",route="/visits",status_code="200"')).toBe(1);
    // Every unmatched URL shares one label value: no cardinality explosion from scanners.
    expect(count('method="GET",route="unmatched",status_code="404"')).toBe(2);
    expect(text).not.toContain('does/not/exist');
    expect(text).not.toMatch(/http_request_duration_seconds_count\{[^}]*route="\/(metrics|health)/);
  });

  it('starts every app with a registry of its own, so test cases never share series', async () => {
    await t.get('/');
    const other = await createTestApp();
    try {
      const fresh = (await other.get('/metrics')).text;
      expect(sampleValue(fresh, 'visits_recorded_total')).toBe(0);
      expect(fresh).not.toContain('route="/"');
    } finally {
      await other.close();
    }
  });
});
