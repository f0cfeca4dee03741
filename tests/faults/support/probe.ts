import { Agent } from 'node:http';
import { metricValue } from '../../support/prometheus-text';
import { httpGet, type Reply } from './http-get';

/** No keep-alive: nothing stays open between the checks of a suite. */
const oneShot = new Agent({ keepAlive: false });

export function get(url: string): Promise<Reply> {
  return httpGet(url, oneShot);
}

/** The persist failures counted so far for one errno reason; `monitorUrl` is the monitoring listener's. */
export async function persistFailures(monitorUrl: string, reason: string): Promise<number> {
  const text = (await get(`${monitorUrl}/metrics`)).body;
  return metricValue(text, 'visits_persist_failures_total', `reason="${reason}"`) ?? 0;
}

export async function currentCount(baseUrl: string): Promise<number> {
  return (JSON.parse((await get(`${baseUrl}/visits`)).body) as { visits: number }).visits;
}
