import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/**
 * Finds `promtool` and `prometheus`. Order: $PROMETHEUS_BIN_DIR, the project-local tools folder
 * (.tools/prometheus, filled below), then PATH. When neither has them and `apt-get` exists, the
 * Debian/Ubuntu `prometheus` package is downloaded and unpacked into .tools/prometheus, which
 * needs no root. Otherwise this throws one line saying what to install; the suites never skip,
 * so under CI (and everywhere else) a missing tool is a failure.
 */
const REPO_ROOT = resolve(__dirname, '../../..');
const LOCAL_TOOLS = join(REPO_ROOT, '.tools', 'prometheus');
const LOCAL_BIN = join(LOCAL_TOOLS, 'usr', 'bin');
const INSTALL_HINT = "install Debian/Ubuntu's `prometheus` package (apt-get install prometheus) to get promtool and prometheus";

export interface PrometheusTools {
  promtool: string;
  prometheus: string;
}

let cached: PrometheusTools | undefined;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lookup(name: string): string | undefined {
  const dirs = [process.env.PROMETHEUS_BIN_DIR, LOCAL_BIN, ...(process.env.PATH ?? '').split(delimiter)].filter((d): d is string =>
    Boolean(d),
  );
  return dirs.map((dir) => join(dir, name)).find(isExecutable);
}

/** `apt-get download` + `dpkg-deb -x`: a copy of the package's files, no root, no install scripts. */
function provisionFromApt(): void {
  mkdirSync(LOCAL_TOOLS, { recursive: true });
  execFileSync('apt-get', ['download', 'prometheus'], { cwd: LOCAL_TOOLS, stdio: 'ignore', timeout: 120_000 });
  const deb = readdirSync(LOCAL_TOOLS).find((f) => /^prometheus_.*\.deb$/.test(f));
  if (!deb) throw new Error('apt-get download prometheus produced no .deb');
  execFileSync('dpkg-deb', ['-x', join(LOCAL_TOOLS, deb), LOCAL_TOOLS], { stdio: 'ignore', timeout: 120_000 });
}

export function prometheusTools(): PrometheusTools {
  if (cached) return cached;
  let promtool = lookup('promtool');
  let prometheus = lookup('prometheus');
  if ((!promtool || !prometheus) && lookup('apt-get') && lookup('dpkg-deb')) {
    try {
      provisionFromApt();
    } catch {
      // fall through to the one-line message below
    }
    promtool = lookup('promtool');
    prometheus = lookup('prometheus');
  }
  if (!promtool || !prometheus) {
    const missing = [!promtool && 'promtool', !prometheus && 'prometheus'].filter(Boolean).join(' and ');
    throw new Error(`${missing} not found: ${INSTALL_HINT}${process.env.CI === 'true' ? ' (CI: a missing tool is a failure)' : ''}`);
  }
  cached = { promtool, prometheus };
  return cached;
}

export const localToolsDir = (): string | undefined => (existsSync(LOCAL_BIN) ? LOCAL_BIN : undefined);
