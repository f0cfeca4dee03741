import { open, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../support/errno';
import { runAsRoot, tmpfsOwnerOptions } from '../support/privileged';
import { makeTempDir, startService, type ServiceProcess } from '../support/service-process';
import { expectFaultAndRecovery } from './support/disk-fault';

/**
 * A real full disk and a real read-only file system: a 4 MiB tmpfs as the data directory,
 * filled to the last page, then emptied; then remounted read-only, then read-write.
 * Mounting needs root: as root, or through sudo (tests/support/privileged.ts), the tmpfs owned by
 * the tests' own user, who runs the service.
 */
jest.setTimeout(60_000);

describe('a full and a read-only data volume (tmpfs)', () => {
  let mountPoint: string | undefined;
  let mounted = false;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    mountPoint = await makeTempDir('visits-tmpfs-');
    await runAsRoot('mount', ['-t', 'tmpfs', '-o', `size=4m,mode=0755,${tmpfsOwnerOptions()}`, 'tmpfs', mountPoint]);
    mounted = true;
    service = await startService({ dataDir: mountPoint });
  });

  afterAll(async () => {
    // The service holds the directory open: it goes first, then the mount, then the mount point.
    await service?.cleanup();
    if (mounted && mountPoint) await runAsRoot('umount', [mountPoint]).catch(() => runAsRoot('umount', ['-l', mountPoint!]));
    if (mountPoint) await rm(mountPoint, { recursive: true, force: true });
  });

  test('ENOSPC: fill the volume, visits are refused; free it, the service resumes by itself', async () => {
    const filler = join(mountPoint!, 'filler');
    let filled = 0;
    const figures = await expectFaultAndRecovery(service!, {
      reason: 'ENOSPC',
      async inflict() {
        filled = await fillUp(filler);
      },
      mend: () => unlink(filler),
    });
    console.log(
      `full-disk suite (tmpfs 4 MiB): filled ${filled} bytes, ${figures.refusedVisits} visits refused with 503, ` +
        `${figures.failuresCounted} ENOSPC failures counted, recovered by itself after the space came back`,
    );
  });

  test('EROFS: the volume is remounted read-only, then read-write', async () => {
    const figures = await expectFaultAndRecovery(service!, {
      reason: 'EROFS',
      inflict: async () => void (await runAsRoot('mount', ['-o', 'remount,ro', mountPoint!])),
      mend: async () => void (await runAsRoot('mount', ['-o', 'remount,rw', mountPoint!])),
    });
    console.log(
      `read-only suite (tmpfs remount): ${figures.refusedVisits} visits refused with 503, ${figures.failuresCounted} EROFS failures counted`,
    );
  });
});

/** Writes until the file system says ENOSPC, in big chunks, then down to single bytes. */
async function fillUp(path: string): Promise<number> {
  const handle = await open(path, 'w');
  let written = 0;
  try {
    for (const size of [256 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x78);
      for (;;) {
        try {
          written += (await handle.write(chunk)).bytesWritten;
        } catch (err) {
          if (isErrno(err, 'ENOSPC')) break;
          throw err;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}
