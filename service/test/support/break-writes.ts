import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes the next durable write fail for real, even for root (which chmod cannot stop): a
 * directory where the store opens its temp file makes open(2) fail with EISDIR. The data file
 * itself is untouched. heal() removes it.
 */
export async function breakWrites(dataDir: string): Promise<void> {
  await mkdir(join(dataDir, '.visits.tmp'));
}

export async function healWrites(dataDir: string): Promise<void> {
  await rm(join(dataDir, '.visits.tmp'), { recursive: true, force: true });
}
