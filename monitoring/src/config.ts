import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The values a fork changes, in monitoring/config.json: read when the generator runs (not compiled
 * in), so scripts/set-repo.mjs edits that one file and regenerates.
 */
export interface MonitoringConfig {
  /** docs/runbooks.md as a web page; each alert links to its section there. */
  runbookBaseUrl: string;
}

export const CONFIG_FILE = 'monitoring/config.json';

export function loadConfig(root: string): MonitoringConfig {
  const file = join(root, CONFIG_FILE);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<MonitoringConfig>;
  const url = raw.runbookBaseUrl;
  if (typeof url !== 'string' || !/^https?:\/\/\S+\.md$/.test(url)) {
    throw new Error(`${file}: runbookBaseUrl must be the http(s) URL of docs/runbooks.md, got ${JSON.stringify(url)}`);
  }
  return { runbookBaseUrl: url };
}
