import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root';
import type { Problem } from './problems';
import type { RenderedObject } from './render';
import { describe } from './repository';

const SCHEMA_DIR = join(REPO_ROOT, 'tests/manifests/schema');
export const STRICT_SCHEMAS = join(REPO_ROOT, 'tests/schemas/strict-schemas.json');

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
}

interface StrictSchemas {
  packages: Record<string, string>;
  kinds: Record<string, Schema>;
  $defs: Record<string, Schema>;
}

let strict: StrictSchemas | undefined;
function strictSchemas(): StrictSchemas {
  strict ??= JSON.parse(readFileSync(STRICT_SCHEMAS, 'utf8')) as StrictSchemas;
  return strict;
}

/**
 * Walks a value along its strict schema and collects the fields the schema does not declare.
 * Types, enums and required fields are the model validators' job; this only finds unknown
 * fields, which those validators let through. (A tree walk, not ajv: compiling the Application
 * schema alone takes ajv seconds.)
 */
function unknownFields(schema: Schema, value: unknown, path: string[], out: string[][]): void {
  while (schema.$ref) schema = strictSchemas().$defs[schema.$ref.replace('#/$defs/', '')];
  if (schema.anyOf) {
    let best: string[][] | undefined;
    for (const branch of schema.anyOf) {
      const found: string[][] = [];
      unknownFields(branch, value, path, found);
      if (!best || found.length < best.length) best = found;
    }
    out.push(...(best ?? []));
    return;
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => unknownFields(schema.items!, item, [...path, String(i)], out));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const declared = schema.properties?.[key];
    if (declared) unknownFields(declared, child, [...path, key], out);
    else if (schema.additionalProperties === false) out.push([...path, key]);
    else if (typeof schema.additionalProperties === 'object') unknownFields(schema.additionalProperties, child, [...path, key], out);
  }
}

/** Versions of the model packages the vendored strict schemas were generated from. */
export function vendoredPackageVersions(): Record<string, string> {
  return strictSchemas().packages;
}

/** `/spec/template/spec/containers/0/image` -> `spec.template.spec.containers[0].image`. */
export function fieldPath(instancePath: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const part of parts)
    out += /^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z0-9_-]+$/.test(part) ? `${out ? '.' : ''}${part}` : `["${part}"]`;
  return out || '-';
}

function strictProblems(obj: RenderedObject): Problem[] {
  const schema = strictSchemas().kinds[`${obj.doc.apiVersion}/${obj.doc.kind}`];
  const at = (field: string, message: string): Problem => ({ file: obj.file, object: describe(obj), field, message });
  if (!schema) return [at('kind', `no schema for ${obj.doc.apiVersion} ${obj.doc.kind} (add it to tests/manifests/schema/kinds.mjs)`)];
  const found: string[][] = [];
  unknownFields(schema, obj.doc, [], found);
  return found.map((path) =>
    at(fieldPath('/' + path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')), 'unknown field (not in the schema)'),
  );
}

type ModelErrors = { instancePath: string; message: string }[][];

/**
 * The model packages' compiled validators, in one long-lived child process (they are ESM-only):
 * one JSON line per request, one per answer, answered in order.
 */
class ModelValidator {
  private readonly child: ChildProcess;
  private readonly waiting: { resolve: (r: ModelErrors) => void; reject: (e: Error) => void }[] = [];
  private buffer = '';
  private stderr = '';

  constructor() {
    this.child = spawn(process.execPath, [join(SCHEMA_DIR, 'validate-models.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        this.waiting.shift()?.resolve(JSON.parse(line) as ModelErrors);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.child.once('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`validate-models.mjs exited (${code}): ${this.stderr}`));
    });
  }

  validate(objects: RenderedObject[]): Promise<ModelErrors> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin!.write(JSON.stringify(objects.map((o) => ({ apiVersion: o.doc.apiVersion, kind: o.doc.kind, doc: o.doc }))) + '\n');
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((done) => {
      this.child.once('exit', () => done());
      this.child.stdin!.end();
    });
  }
}

let validator: ModelValidator | undefined;

/** Ends the validator child process; call it in afterAll. */
export async function stopModelValidator(): Promise<void> {
  await validator?.stop();
  validator = undefined;
}

async function modelProblems(objects: RenderedObject[]): Promise<Problem[]> {
  validator ??= new ModelValidator();
  const results = await validator.validate(objects);
  return results.flatMap((errors, i) =>
    errors.map((e) => ({ file: objects[i].file, object: describe(objects[i]), field: fieldPath(e.instancePath), message: e.message })),
  );
}

/**
 * Every object against its schema twice: the model packages' own validators (Kubernetes
 * v1.36 OpenAPI, Argo CD and prometheus-operator CRDs) and the vendored strict schemas that
 * reject unknown fields, which the packages' validators let through.
 */
export async function schemaProblems(objects: RenderedObject[]): Promise<Problem[]> {
  const models = await modelProblems(objects);
  const strictOnes = objects.flatMap(strictProblems);
  const seen = new Set<string>();
  return [...models, ...strictOnes].filter((p) => {
    const key = `${p.file}|${p.object}|${p.field}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
