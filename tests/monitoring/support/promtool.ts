import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../support/repo-root';
import { runCommand } from '../../support/run-command';
import { prometheusTools } from './prometheus-tools';
import { ruleFileText, type RuleGroup } from './rendered-monitoring';

export const ALERT_TESTS_FILE = join(REPO_ROOT, 'tests/monitoring/alerts.test.yaml');

export interface ToolResult {
  code: number;
  output: string;
}

export async function promtool(args: string[], cwd: string, timeoutMs = 120_000): Promise<ToolResult> {
  const { code, stdout, stderr } = await runCommand(prometheusTools().promtool, args, { cwd, timeoutMs });
  return { code: code ?? 1, output: `${stdout}${stderr}` }; // killed by the timeout: a failure
}

/** Writes rules.yaml (the groups) into `dir`; alerts.test.yaml refers to it by that name. */
export async function writeRules(dir: string, groups: RuleGroup[]): Promise<string> {
  const file = join(dir, 'rules.yaml');
  await writeFile(file, ruleFileText(groups));
  return file;
}

export interface AlertTestFile {
  rule_files: string[];
  evaluation_interval?: string;
  tests: {
    name: string;
    interval: string;
    input_series: { series: string; values: string }[];
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
  }[];
}

export function readAlertTests(text: string): AlertTestFile {
  return parse(text) as AlertTestFile;
}

/** Runs `promtool test rules` on `groups` with alerts.test.yaml (or a subset of its tests). */
export async function testRules(dir: string, groups: RuleGroup[], tests?: AlertTestFile): Promise<ToolResult> {
  await writeRules(dir, groups);
  const testFile = join(dir, 'alerts.test.yaml');
  if (tests) await writeFile(testFile, stringify(tests, { lineWidth: 0 }));
  else await copyFile(ALERT_TESTS_FILE, testFile);
  return promtool(['test', 'rules', 'alerts.test.yaml'], dir);
}
