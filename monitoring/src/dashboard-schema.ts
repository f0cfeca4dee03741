import { join } from 'node:path';
import ts from 'typescript';

/**
 * Checks a dashboard, as JSON, against Grafana's published schema: the TypeScript types of
 * @grafana/schema (it ships no JSON Schema). The TypeScript compiler type-checks the JSON as a
 * value of type Dashboard, and each panel's options as the Options of its panel plugin: a missing
 * required field, a value of the wrong type, or one outside an enum is an error. Keys the types do
 * not declare are allowed, as the v1 dashboard schema is open: Grafana writes `definition` on query
 * variables, and the SDK still writes a few defaults newer schemas dropped (variables' `auto*`, the
 * table's `footer`), which Grafana ignores or migrates. The alert list has no schema in
 * @grafana/schema; its options are checked only as the Panel type allows (any object).
 */
const PANEL_OPTIONS: Record<string, string> = {
  timeseries: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen',
  stat: 'stat/panelcfg/x/StatPanelCfg_types.gen',
  table: 'table/panelcfg/x/TablePanelCfg_types.gen',
  bargauge: 'bargauge/panelcfg/x/BarGaugePanelCfg_types.gen',
};

// String enums (LegendDisplayMode.List) as their values ("list"): JSON holds the value.
const PLAIN = [
  'type Plain<T> = 0 extends 1 & T ? T',
  '  : T extends string ? `${T}`',
  '  : T extends readonly (infer U)[] ? readonly Plain<U>[]',
  '  : T extends object ? { [K in keyof T]: Plain<T[K]> }',
  '  : T;',
].join('\n');

interface Dashboard {
  panels?: { id?: number; type: string; options?: unknown }[];
}

/** The problems found, one line each ("dashboard: …", "panel 7 (timeseries) options: …"); [] when valid. */
export function dashboardSchemaProblems(dashboard: unknown, repoRoot: string): string[] {
  const checks: { what: string; type: string; value: unknown }[] = [{ what: 'dashboard', type: 'Dashboard', value: dashboard }];
  for (const panel of (dashboard as Dashboard).panels ?? []) {
    if (PANEL_OPTIONS[panel.type]) {
      checks.push({ what: `panel ${panel.id} (${panel.type}) options`, type: `${panel.type}Options`, value: panel.options ?? {} });
    }
  }
  const header = [
    "import type { Dashboard } from '@grafana/schema';",
    ...Object.entries(PANEL_OPTIONS).map(
      ([type, path]) => `import type { Options as ${type}Options } from '@grafana/schema/dist/esm/raw/composable/${path}';`,
    ),
    PLAIN,
  ].join('\n');
  let source = `${header}\n`;
  const spans: { what: string; start: number; end: number }[] = [];
  checks.forEach((check, i) => {
    // Through a variable (as const keeps "list" a literal): a fresh object literal would also
    // reject every undeclared key.
    const json = JSON.stringify(check.value, null, 2);
    const statement = `const value${i} = ${json} as const;\nexport const check${i}: Plain<${check.type}> = value${i};\n`;
    spans.push({ what: check.what, start: source.length, end: source.length + statement.length });
    source += statement;
  });

  // A file that exists only in memory, placed in the repository so the packages resolve from its node_modules.
  const file = join(repoRoot, 'monitoring', '.dashboard-schema-check.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const what = d.file?.fileName === file ? spans.find((s) => d.start! >= s.start && d.start! < s.end)?.what : undefined;
    return `${what ?? d.file?.fileName ?? 'schema check'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
