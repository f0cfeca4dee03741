import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

/** Parses a multi-document YAML text; a syntax error names the file. */
export function parseYamlDocuments(text: string, file: string): unknown[] {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${file}: YAML: ${doc.errors[0].message}`);
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export async function readYamlFile(path: string, file: string): Promise<unknown[]> {
  return parseYamlDocuments(await readFile(path, 'utf8'), file);
}
