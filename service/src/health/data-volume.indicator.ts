import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { CountFile } from '../counter/data-file';
import { errnoOf } from '../counter/data-file';
import { COUNT_FILE } from '../tokens';

/** Below this, a replica stops taking visits before a write can fail half-way (128Mi volumes). */
export const MIN_FREE_BYTES = 1024 * 1024;

@Injectable()
export class DataVolumeIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(COUNT_FILE) private readonly file: CountFile,
  ) {}

  /** A real create, write and unlink in the data directory: catches read-only, full and EACCES alike. */
  async writable(key: string) {
    const indicator = this.indicators.check(key);
    try {
      await this.file.checkWritable();
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: 'the data directory does not take writes', reason: errnoOf(err) });
    }
  }

  /** fs.statfs, not df: the image may have no df. */
  async freeSpace(key: string) {
    const indicator = this.indicators.check(key);
    try {
      const { availableBytes, totalBytes } = await this.file.space();
      const details = { availableBytes, totalBytes, minimumBytes: MIN_FREE_BYTES };
      return availableBytes >= MIN_FREE_BYTES
        ? indicator.up(details)
        : indicator.down({ message: 'the data volume is nearly full', ...details });
    } catch (err) {
      return indicator.down({ message: 'cannot read the data volume size', reason: errnoOf(err) });
    }
  }
}
