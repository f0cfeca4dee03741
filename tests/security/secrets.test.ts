import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';

/**
 * No secrets in the repository: secretlint with the recommended preset (configured in
 * .secretlintrc.json) over every file git tracks or would track. The same command and
 * configuration must catch fake secrets planted in a temporary directory; they are built at run
 * time, so that no secret-looking literal lives in this file.
 */
jest.setTimeout(120_000);

const SECRETLINT = join(REPO_ROOT, 'node_modules', '.bin', 'secretlint');
const temps: string[] = [];

afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Finding {
  filePath: string;
  messages: Array<{ ruleId: string; message: string; loc: { start: { line: number } } }>;
}

async function scan(files: string[]): Promise<{ findings: Finding[] }> {
  // A report file, not stdout: secretlint may exit before a large stdout is flushed to a pipe.
  const reportDir = await mkdtemp(join(tmpdir(), 'visits-secretlint-'));
  temps.push(reportDir);
  const report = join(reportDir, 'report.json');
  const args = ['--no-glob', '--format', 'json', '--output', report, '--secretlintrc', join(REPO_ROOT, '.secretlintrc.json'), ...files];
  // With --output the exit code stays 0 even on findings: the report is what counts.
  const result = await runCommand(SECRETLINT, args, { cwd: REPO_ROOT, timeoutMs: 90_000 });
  const text = existsSync(report) ? await readFile(report, 'utf8') : '';
  if (!text.trim().startsWith('[')) throw new Error(`secretlint gave no report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  const findings = (JSON.parse(text) as Finding[]).filter((f) => f.messages.length > 0);
  return { findings };
}

const alnum = (length: number): string =>
  Array.from(randomBytes(length), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[b % 62]).join('');

test('the repository holds no secrets', async () => {
  const listed = await runCommand('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT });
  expect(listed.code).toBe(0);
  const files = listed.stdout
    .split('\0')
    .filter(Boolean)
    .filter((f) => existsSync(join(REPO_ROOT, f)));
  expect(files.length).toBeGreaterThan(50);
  const { findings } = await scan(files);
  console.log(`secret scan: ${files.length} files scanned, ${findings.length} with findings`);
  expect(findings.map((f) => `${f.filePath}:${f.messages.map((m) => `${m.loc.start.line} ${m.ruleId}`).join(', ')}`)).toEqual([]);
});

test('the same scan catches planted fake secrets', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'visits-secrets-'));
  temps.push(dir);
  const planted: Record<string, string> = {
    'ci.env': `GITHUB_TOKEN=${'gh' + 'p_'}${alnum(36)}\n`,
    'aws.ini': `[default]\naws_access_key_id = ${'AK' + 'IA'}${alnum(16).toUpperCase()}\naws_secret_access_key = ${alnum(40)}\n`,
    // A real key, made now and thrown away with the directory: the rule checks the key's structure.
    'deploy.pem': generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
  for (const [name, content] of Object.entries(planted)) await writeFile(join(dir, name), content);
  const { findings } = await scan(Object.keys(planted).map((name) => join(dir, name)));
  expect(findings.map((f) => f.filePath).sort()).toEqual(
    Object.keys(planted)
      .map((name) => join(dir, name))
      .sort(),
  );
});
