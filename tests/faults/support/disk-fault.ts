import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceProcess } from '../../support/service-process';
import { waitFor } from '../../support/wait-for';
import { currentCount, get, persistFailures } from './probe';

export interface DiskFault {
  /** The errno the service should report, e.g. EACCES, ENOSPC, EROFS. */
  reason: string;
  /** Makes the data directory refuse writes. */
  inflict(): Promise<void>;
  /** Gives the directory back; the service must notice by itself. */
  mend(): Promise<void>;
}

export interface FaultFigures {
  refusedVisits: number;
  failuresCounted: number;
}

/**
 * The data-file contract (docs/architecture.md#the-data-file) for a data directory that stops
 * taking writes: visits get 503, readiness goes down, visits_persist_failures_total{reason} rises, the file keeps its last
 * good value; once the directory is back, readiness comes back without any visit and visits
 * are counted again.
 */
export async function expectFaultAndRecovery(service: ServiceProcess, fault: DiskFault): Promise<FaultFigures> {
  const { url, monitorUrl } = service;
  const file = join(service.dataDir, 'visits');
  expect((await get(`${url}/`)).status).toBe(200);
  const countBefore = await currentCount(url);
  const fileBefore = await readFile(file, 'utf8');
  expect(fileBefore).toBe(`${countBefore}\n`);
  const failuresBefore = await persistFailures(monitorUrl, fault.reason);
  expect((await get(`${monitorUrl}/health/ready`)).status).toBe(200);

  await fault.inflict();
  const refused = [];
  for (let i = 0; i < 5; i++) refused.push((await get(`${url}/`)).status);
  expect(refused).toEqual([503, 503, 503, 503, 503]);
  const ready = await get(`${monitorUrl}/health/ready`);
  expect(ready.status).toBe(503);
  expect(ready.body).toContain(fault.reason);
  const failuresCounted = (await persistFailures(monitorUrl, fault.reason)) - failuresBefore;
  expect(failuresCounted).toBeGreaterThanOrEqual(5);
  expect(await currentCount(url)).toBe(countBefore);
  expect(await readFile(file, 'utf8')).toBe(fileBefore);
  expect((await get(`${monitorUrl}/health/live`)).status).toBe(200);

  await fault.mend();
  // No visit in between: readiness itself retries the write and heals.
  await waitFor(
    'readiness to come back by itself',
    { timeoutMs: 15_000, everyMs: 100 },
    async () => (await get(`${monitorUrl}/health/ready`)).status === 200,
  );
  const visit = await get(`${url}/`);
  expect(visit.status).toBe(200);
  expect(JSON.parse(visit.body)).toMatchObject({ visits: countBefore + 1 });
  expect(await readFile(file, 'utf8')).toBe(`${countBefore + 1}\n`);
  return { refusedVisits: refused.length, failuresCounted };
}
