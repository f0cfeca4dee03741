#!/usr/bin/env node
// Reads or rewrites the image pin of a kustomize overlay: the `digest` of its `images:` entry
// (named `visits` unless --name says otherwise). Everything else in the file, comments included,
// stays as it is. Used by the release (set dev's digest) and promotion (copy dev's to prod).
//
//   node scripts/image-digest.mjs get  apps/visits/envs/dev
//   node scripts/image-digest.mjs repo apps/visits/envs/dev           # prints newName (the registry repository)
//   node scripts/image-digest.mjs set  apps/visits/envs/dev sha256:<64 hex>
//   node scripts/image-digest.mjs copy apps/visits/envs/dev apps/visits/envs/prod
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const USAGE = 'usage: image-digest.mjs [--name IMAGE] get|repo DIR | set DIR sha256:<64 hex> | copy FROM_DIR TO_DIR';

function fail(message, code = 1) {
  console.error(`image-digest: ${message}`);
  process.exit(code);
}

function load(dir) {
  const file = join(dir, 'kustomization.yaml');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${file}: ${err.code ?? err.message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) fail(`${file}: ${doc.errors[0].message}`);
  return { file, doc };
}

function entry(doc, file, name) {
  const images = doc.get('images');
  const found = images?.items?.find((item) => item.get?.('name') === name);
  if (!found) fail(`${file} has no images entry named "${name}"`);
  return found;
}

const args = process.argv.slice(2);
let name = 'visits';
if (args[0] === '--name') {
  name = args[1] ?? fail(USAGE, 2);
  args.splice(0, 2);
}
const [command, ...rest] = args;

switch (command) {
  case 'get':
  case 'repo': {
    if (rest.length !== 1) fail(USAGE, 2);
    const { file, doc } = load(rest[0]);
    const value = entry(doc, file, name).get(command === 'get' ? 'digest' : 'newName');
    if (typeof value !== 'string') fail(`${file}: images entry "${name}" has no ${command === 'get' ? 'digest' : 'newName'}`);
    console.log(value);
    break;
  }
  case 'set':
  case 'copy': {
    if (rest.length !== 2) fail(USAGE, 2);
    let digest = rest[1];
    let target = rest[0];
    if (command === 'copy') {
      const source = load(rest[0]);
      digest = entry(source.doc, source.file, name).get('digest');
      target = rest[1];
    }
    if (typeof digest !== 'string' || !DIGEST.test(digest))
      fail(`not an image digest: ${JSON.stringify(digest)} (want sha256:<64 hex>)`, 2);
    const { file, doc } = load(target);
    const image = entry(doc, file, name);
    const before = image.get('digest');
    image.set('digest', digest);
    image.delete('newTag'); // a digest pin is the whole reference; a tag beside it would mislead
    writeFileSync(file, doc.toString());
    console.log(before === digest ? `${file}: already ${digest}` : `${file}: ${before ?? '(none)'} -> ${digest}`);
    break;
  }
  default:
    fail(USAGE, 2);
}
