#!/usr/bin/env node
// Writes tests/schemas/strict-schemas.json: a JSON Schema per kind in ./kinds.mjs, derived from
// the TypeScript declarations of the installed model packages (which are generated from the
// Kubernetes OpenAPI document and the CRDs). Unlike the packages' own validators, every object
// schema here has `additionalProperties: false`, so an unknown or misspelt field is an error.
// Run after upgrading kubernetes-models or its CRD packages:
//   node tests/manifests/schema/generate.mjs           (write)
//   node tests/manifests/schema/generate.mjs --check   (exit 1 if the vendored file is stale)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AMENDMENTS, KINDS } from './kinds.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
export const OUTPUT = join(repo, 'tests/schemas/strict-schemas.json');

function packageVersion(name) {
  const require = createRequire(join(repo, 'package.json'));
  let dir = dirname(require.resolve(`${name}/package.json`, { paths: [repo] }));
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

/** Builds the schemas in memory; returns the JSON text that belongs in OUTPUT. */
export function generate() {
  const rootFile = join(repo, 'tests/manifests/schema/__kinds__.ts');
  const source =
    KINDS.map(([, kind, mod, iface]) => `import type { ${iface} as K_${kind} } from '${mod}';`).join('\n') +
    '\n' +
    KINDS.map(([, kind]) => `export type T_${kind} = K_${kind};`).join('\n') +
    '\n';
  const options = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (resolve(f) === rootFile ? source : readFile(f));
  host.fileExists = (f) => resolve(f) === rootFile || fileExists(f);
  const program = ts.createProgram([rootFile], options, host);
  const unresolved = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (unresolved.length) throw new Error(ts.formatDiagnostics(unresolved, host));
  const checker = program.getTypeChecker();
  const root = program.getSourceFile(rootFile);

  const defs = {};
  const names = new Map(); // ts.Type -> $defs key, for named interfaces (shared and recursive)
  let counter = 0;

  const defName = (type) => {
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const base = symbol && symbol.name !== '__type' && symbol.name !== '__object' ? symbol.name : null;
    return base;
  };

  function convert(type) {
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (type.isUnion()) {
      const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      if (members.length === 2 && members.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
      if (members.every((t) => t.isStringLiteral())) return { type: 'string', enum: members.map((t) => t.value).sort() };
      if (members.length === 1) return convert(members[0]);
      const parts = members.map(convert);
      const simple = parts.every((p) => Object.keys(p).length === 1 && typeof p.type === 'string');
      return simple ? { type: [...new Set(parts.map((p) => p.type))].sort() } : { anyOf: parts };
    }
    if (type.flags & ts.TypeFlags.StringLiteral) return { type: 'string', const: type.value };
    if (type.flags & ts.TypeFlags.String) return { type: 'string' };
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return { type: 'number' };
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    if (checker.isArrayType(type)) return { type: 'array', items: convert(checker.getTypeArguments(type)[0]) };
    if (type.flags & ts.TypeFlags.Object) return objectSchema(type);
    throw new Error(`unsupported type ${checker.typeToString(type)}`);
  }

  function objectSchema(type) {
    const named = defName(type);
    if (named) {
      if (!names.has(type)) {
        let key = named;
        while (key in defs) key = `${named}_${++counter}`;
        names.set(type, key);
        defs[key] = {}; // placeholder: recursion ends here
        defs[key] = literalObject(type);
      }
      return { $ref: `#/$defs/${names.get(type)}` };
    }
    return literalObject(type);
  }

  function literalObject(type) {
    const index = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    const properties = {};
    const required = [];
    for (const prop of checker.getPropertiesOfType(type)) {
      const declaration = prop.valueDeclaration ?? prop.declarations?.[0];
      const propType = checker.getTypeOfSymbolAtLocation(prop, declaration ?? root);
      properties[prop.name] = convert(propType);
      if (!(prop.flags & ts.SymbolFlags.Optional)) required.push(prop.name);
    }
    const schema = { type: 'object' };
    if (Object.keys(properties).length) schema.properties = properties;
    if (required.length) schema.required = required.sort();
    if (index) {
      const values = convert(index.type);
      schema.additionalProperties = Object.keys(values).length ? values : true;
    } else if (Object.keys(properties).length === 0) {
      // `{}` / `object`: the generators' form of x-kubernetes-preserve-unknown-fields (Helm
      // valuesObject, FieldsV1): any content is valid there.
      schema.additionalProperties = true;
    } else {
      // Every field is declared: anything else is unknown and an error.
      schema.additionalProperties = false;
    }
    return schema;
  }

  const kinds = {};
  for (const [apiVersion, kind] of KINDS) {
    const alias = root.statements.find((s) => ts.isTypeAliasDeclaration(s) && s.name.text === `T_${kind}`);
    const type = checker.getTypeAtLocation(alias.name);
    kinds[`${apiVersion}/${kind}`] = convert(type);
  }
  for (const { kind, path, field, schema } of AMENDMENTS) {
    let at = kinds[kind];
    for (const step of path) {
      while (at.$ref) at = defs[at.$ref.replace('#/$defs/', '')];
      at = step === '[]' ? at.items : at.properties[step];
    }
    while (at.$ref) at = defs[at.$ref.replace('#/$defs/', '')];
    at.properties[field] = schema;
  }
  const packages = Object.fromEntries(
    [...new Set(KINDS.map(([, , mod]) => (mod.startsWith('@') ? mod.split('/').slice(0, 2).join('/') : mod.split('/')[0])))].map((p) => [
      p,
      packageVersion(p),
    ]),
  );
  return JSON.stringify({ generatedBy: 'tests/manifests/schema/generate.mjs', packages, kinds, $defs: defs }, null, 1) + '\n';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = generate();
  if (process.argv.includes('--check')) {
    const current = readFileSync(OUTPUT, 'utf8');
    if (current !== text) {
      console.error(`${OUTPUT} is stale: run node tests/manifests/schema/generate.mjs`);
      process.exit(1);
    }
  } else {
    mkdirSync(dirname(OUTPUT), { recursive: true });
    writeFileSync(OUTPUT, text);
    console.log(`wrote ${OUTPUT} (${text.length} bytes)`);
  }
}
