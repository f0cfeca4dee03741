#!/usr/bin/env node
// Validates objects with the model packages' own validators (ajv code compiled from the
// Kubernetes OpenAPI schema and the CRDs: types, required fields, enums, int32/int64 formats).
// These packages are ESM-only, which jest's CommonJS runtime cannot load, so the suite runs
// this file as a child process that stays up: each line on stdin is a JSON array of
// {apiVersion, kind, doc}; each answer on stdout is one line, a JSON array of error lists.
import { createInterface } from 'node:readline';
import { KINDS } from './kinds.mjs';

const models = new Map();
async function model(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!models.has(key)) {
    const entry = KINDS.find(([v, k]) => v === apiVersion && k === kind);
    models.set(key, entry ? (await import(entry[2]))[kind] : null);
  }
  return models.get(key);
}

async function validateAll(input) {
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
  return results;
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await validateAll(JSON.parse(line))) + '\n');
}
