import { Controller, Get, Inject } from '@nestjs/common';
import type { Config } from '../config/config';
import { CONFIG } from '../tokens';

@Controller('version')
export class VersionController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get()
  version(): { version: string; commit: string } {
    return { version: this.config.version, commit: this.config.commit };
  }
}
