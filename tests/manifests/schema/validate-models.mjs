#!/usr/bin/env node
// Validates objects with the model packages' own validators (ajv code compiled from the
// Kubernetes OpenAPI schema and the CRDs: types, required fields, enums, int32/int64 formats).
// These packages are ESM-only, which jest's CommonJS runtime cannot load, so the suite runs
// this file as a child process: JSON array of {apiVersion, kind, doc} on stdin, one error
// list per object on stdout.
import { KINDS } from './kinds.mjs';

const input = await new Promise((done) => {
  let text = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => (text += chunk));
  process.stdin.on('end', () => done(JSON.parse(text)));
});

const models = new Map();
async function model(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!models.has(key)) {
    const entry = KINDS.find(([v, k]) => v === apiVersion && k === kind);
    models.set(key, entry ? (await import(entry[2]))[kind] : null);
  }
  return models.get(key);
}

const results = [];
for (const { apiVersion, kind, doc } of input) {
  const Model = await model(apiVersion, kind);
  if (!Model) {
    results.push([{ instancePath: '', message: `no schema for ${apiVersion} ${kind} (add it to tests/manifests/schema/kinds.mjs)` }]);
    continue;
  }
  try {
    new Model(doc).validate();
    results.push([]);
  } catch (err) {
    const errors = Array.isArray(err.errors) ? err.errors : [{ instancePath: '', message: err.message }];
    results.push(errors.map((e) => ({ instancePath: e.instancePath ?? '', message: e.message ?? String(e) })));
  }
}
process.stdout.write(JSON.stringify(results));
