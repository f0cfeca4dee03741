/**
 * The GitHub Actions linters, run as the real programs that tools/build.sh builds or installs from
 * their pins: actionlint (tools/actionlint/go.mod), which hands every `run:` script to shellcheck
 * (Debian's, on PATH: scripts/setup-machine.sh), and zizmor (tools/zizmor/requirements.txt).
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';

export interface Finding {
  /** actionlint's kind (`expression`, `syntax-check`, …), shellcheck's code (`SC2086`) or zizmor's audit (`template-injection`). */
  rule: string;
  file: string;
  line: number;
  message: string;
}

/** The bin directory holding actionlint and zizmor; reused from the cache that `npm run tools` filled. */
export function linterBin(): string {
  const build = join(REPO_ROOT, 'tools/build.sh');
  return execFileSync('bash', [build, 'actionlint', 'zizmor'], { encoding: 'utf8', timeout: 900_000 }).trim();
}

interface ActionlintError {
  message: string;
  filepath: string;
  line: number;
  kind: string;
}

/** actionlint over these workflow files; exit 1 means findings, anything else but 0 a failure. */
export async function actionlint(bin: string, files: string[]): Promise<Finding[]> {
  const result = await runCommand(resolve(bin, 'actionlint'), ['-format', '{{json .}}', ...files], { env: process.env });
  if (result.code !== 0 && result.code !== 1) throw new Error(`actionlint exited ${result.code}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as ActionlintError[]).map((e) => ({
    rule: e.kind === 'shellcheck' ? (/SC\d+/.exec(e.message)?.[0] ?? e.kind) : e.kind,
    file: e.filepath,
    line: e.line,
    message: e.message,
  }));
}

interface ZizmorFinding {
  ident: string;
  desc: string;
  locations: Array<{
    symbolic: { key: { Local?: { verbatim_path: string } } };
    concrete: { location: { start_point: { row: number } } };
  }>;
}

/**
 * zizmor over these files or directories: offline (no GitHub API), the default "regular" persona,
 * and strict collection, so a workflow it cannot parse fails the run instead of being skipped.
 * Exit codes 10 and up say the highest severity found; below that zizmor itself failed.
 */
export async function zizmor(bin: string, inputs: string[]): Promise<Finding[]> {
  const result = await runCommand(resolve(bin, 'zizmor'), ['--offline', '--strict-collection', '--format', 'json', ...inputs], {
    env: process.env,
  });
  if (result.code !== 0 && (result.code === null || result.code < 10)) throw new Error(`zizmor exited ${result.code}: ${result.stderr}`);
  return (JSON.parse(result.stdout) as ZizmorFinding[]).map((f) => ({
    rule: f.ident,
    file: f.locations[0]?.symbolic.key.Local?.verbatim_path ?? '',
    line: (f.locations[0]?.concrete.location.start_point.row ?? -1) + 1,
    message: f.desc,
  }));
}
