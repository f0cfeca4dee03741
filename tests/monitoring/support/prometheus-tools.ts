import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root';

/**
 * Finds `promtool` and `prometheus`. Order: the project-local tools folder (.tools/prometheus,
 * git-ignored), $PROMETHEUS_BIN_DIR, then PATH. When they are missing and `apt-get` exists, the
 * Debian/Ubuntu `prometheus` package is downloaded and unpacked into the tools folder, which
 * needs no root. Otherwise this throws one line saying what to install. The suites never skip:
 * under CI (and everywhere else) a missing tool is a failure.
 */
const DEFAULT_TOOLS_DIR = join(REPO_ROOT, '.tools', 'prometheus');
export const INSTALL_HINT = "install Debian/Ubuntu's `prometheus` package (apt-get install prometheus) to get promtool and prometheus";

export interface PrometheusTools {
  promtool: string;
  prometheus: string;
}

export interface LookupOptions {
  /** Where to look besides the tools folder; defaults to $PROMETHEUS_BIN_DIR and $PATH. */
  searchPath?: string[];
  /** The project-local tools folder; defaults to .tools/prometheus at the repository root. */
  toolsDir?: string;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const lookup = (name: string, dirs: string[]): string | undefined => dirs.map((dir) => join(dir, name)).find(isExecutable);

/** `apt-get download` + `dpkg-deb -x`: a copy of the package's files, no root, no install scripts. */
function provisionFromApt(toolsDir: string, apt: string, dpkg: string): void {
  mkdirSync(toolsDir, { recursive: true });
  execFileSync(apt, ['download', 'prometheus'], { cwd: toolsDir, stdio: 'ignore', timeout: 180_000 });
  const deb = readdirSync(toolsDir).find((f) => /^prometheus_.*\.deb$/.test(f));
  if (!deb) throw new Error('apt-get download prometheus produced no .deb');
  execFileSync(dpkg, ['-x', join(toolsDir, deb), toolsDir], { stdio: 'ignore', timeout: 120_000 });
}

export function findPrometheusTools(options: LookupOptions = {}): PrometheusTools {
  const toolsDir = options.toolsDir ?? DEFAULT_TOOLS_DIR;
  const searchPath = options.searchPath ?? [process.env.PROMETHEUS_BIN_DIR ?? '', ...(process.env.PATH ?? '').split(delimiter)];
  const dirs = [join(toolsDir, 'usr', 'bin'), ...searchPath.filter(Boolean)];
  let promtool = lookup('promtool', dirs);
  let prometheus = lookup('prometheus', dirs);
  const apt = lookup('apt-get', dirs);
  const dpkg = lookup('dpkg-deb', dirs);
  if ((!promtool || !prometheus) && apt && dpkg) {
    try {
      provisionFromApt(toolsDir, apt, dpkg);
    } catch {
      // no mirror reachable or no such package: the one-line message below says what to do
    }
    promtool = lookup('promtool', dirs);
    prometheus = lookup('prometheus', dirs);
  }
  if (!promtool || !prometheus) {
    const missing = [!promtool && 'promtool', !prometheus && 'prometheus'].filter(Boolean).join(' and ');
    throw new Error(`${missing} not found: ${INSTALL_HINT}${process.env.CI === 'true' ? ' (CI: a missing tool is a failure)' : ''}`);
  }
  return { promtool, prometheus };
}

let cached: PrometheusTools | undefined;

/** The tools every monitoring suite uses, found (or provisioned) once per test file. */
export function prometheusTools(): PrometheusTools {
  cached ??= findPrometheusTools();
  return cached;
}
