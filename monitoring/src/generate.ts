/**
 * `npm run generate`: writes the PrometheusRule and the Grafana dashboard from this source.
 *
 *   node monitoring/dist/generate.js [--root DIR] [--out DIR]
 *
 * --root: the repository whose monitoring/config.json to read (default: this one); --out: where
 * to write the files, under their repository paths (default: the root). It prints the files it
 * changed. scripts/set-repo.mjs runs it with --root; the drift test with --out.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, type MonitoringConfig } from './config';
import { DASHBOARD_FILE, visitsDashboard } from './dashboard';
import { dashboardSchemaProblems } from './dashboard-schema';
import { PROMETHEUS_RULE_FILE, prometheusRuleYaml } from './prometheusrule';
import { ROUTING_DOC, routingDoc } from './routing-doc';
import { STACK_FILE, stackValuesYaml } from './stack-values';

/**
 * Every generated file, by its path in the repository. Two are generated only in part, the rest
 * read from the checkout; a checkout without one (a partial copy, as scripts/set-repo.mjs's test
 * makes) gets the others.
 */
function generatedFiles(config: MonitoringConfig, root: string): Record<string, string> {
  const partly = (path: string, generate: (current: string) => string): Record<string, string> =>
    existsSync(join(root, path)) ? { [path]: generate(readFileSync(join(root, path), 'utf8')) } : {};
  return {
    [PROMETHEUS_RULE_FILE]: prometheusRuleYaml(config),
    [DASHBOARD_FILE]: `${JSON.stringify(visitsDashboard(), null, 2)}\n`,
    // Its alertmanager.config and the Argo CD rules.
    ...partly(STACK_FILE, (current) => stackValuesYaml(current, config.runbookBaseUrl)),
    // The routing table between its markers.
    ...partly(ROUTING_DOC, (current) => routingDoc(current, config.runbookBaseUrl)),
  };
}

function main(argv: string[]): void {
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (!['--root', '--out'].includes(flag) || !value)
      throw new Error(`usage: generate.js [--root DIR] [--out DIR], got ${argv.join(' ')}`);
    options[flag.slice(2)] = resolve(value);
  }
  const root = options.root ?? resolve(__dirname, '../..');
  const out = options.out ?? root;
  const files = generatedFiles(loadConfig(root), root);
  // Against the schema of this checkout's @grafana/schema, wherever --root points.
  const problems = dashboardSchemaProblems(JSON.parse(files[DASHBOARD_FILE]!), resolve(__dirname, '../..'));
  if (problems.length > 0) throw new Error(`the dashboard does not match @grafana/schema:\n${problems.join('\n')}`);
  for (const [path, text] of Object.entries(files)) {
    const file = join(out, path);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${path}`);
  }
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`generate: ${(err as Error).message}`);
  process.exitCode = 1;
}
