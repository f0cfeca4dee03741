import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, startService, type ServiceProcess } from '../support/service-process';
import { expectFaultAndRecovery } from './support/disk-fault';

/**
 * The data directory stops taking writes, then takes them again. Root ignores mode bits, so
 * as root the service runs as nobody (65534) in a directory nobody owns; either way a 0555
 * directory refuses the temp file with a real EACCES from the kernel.
 * (The read-only and full file-system variants, EROFS and ENOSPC, are in full-disk.test.ts.)
 */
jest.setTimeout(60_000);

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
let parent: string;
let service: ServiceProcess | undefined;

afterAll(async () => {
  await service?.cleanup();
  if (parent) await rm(parent, { recursive: true, force: true });
});

test('a data directory that refuses writes: 503, readiness down, failures counted, file kept, self-healing', async () => {
  parent = await makeTempDir('visits-diskfault-');
  await chmod(parent, 0o755); // nobody must be able to reach the data directory inside
  const dataDir = join(parent, 'data');
  await mkdir(dataDir, { mode: 0o755 });
  if (asRoot) await chown(dataDir, NOBODY, NOBODY);
  service = await startService({ dataDir, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) });

  const figures = await expectFaultAndRecovery(service, {
    reason: 'EACCES',
    inflict: () => chmod(dataDir, 0o555),
    mend: () => chmod(dataDir, 0o755),
  });
  console.log(
    `disk-fault suite (EACCES${asRoot ? ', service as uid 65534' : ''}): ${figures.refusedVisits} visits refused with 503, ${figures.failuresCounted} failures counted, recovered by itself`,
  );
  // Twice in a row: the recovery leaves nothing behind that breaks the next fault.
  await expectFaultAndRecovery(service, {
    reason: 'EACCES',
    inflict: () => chmod(dataDir, 0o555),
    mend: () => chmod(dataDir, 0o755),
  });
});
