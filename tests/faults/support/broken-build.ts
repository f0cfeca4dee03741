import { appendFile, cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/repo-root';

const SERVICE_DIR = join(REPO_ROOT, 'service');

/**
 * Copies the built service into `dir` and breaks its durability on purpose: the copy's
 * DurableCountFile.write resolves at once (so visits are acknowledged before anything is on
 * disk) and does the real write later, one at a time, 100 ms apart. The crash suite must
 * catch this. The real source and service/dist are never touched.
 */
export async function buildAckBeforeFsyncCopy(dir: string): Promise<{ main: string; env: NodeJS.ProcessEnv }> {
  await cp(join(SERVICE_DIR, 'dist'), join(dir, 'dist'), { recursive: true });
  await cp(join(SERVICE_DIR, 'package.json'), join(dir, 'package.json'));
  const dataFile = join(dir, 'dist', 'counter', 'data-file.js');
  const compiled = await readFile(dataFile, 'utf8');
  if (!compiled.includes('exports.DurableCountFile')) throw new Error(`${dataFile} no longer exports DurableCountFile: update this patch`);
  await appendFile(
    dataFile,
    `
;(() => {
  // FAULT INJECTED BY tests/faults: acknowledge first, persist later.
  const durableWrite = exports.DurableCountFile.prototype.write;
  let backlog = Promise.resolve();
  exports.DurableCountFile.prototype.write = function (count) {
    backlog = backlog
      .then(() => new Promise((r) => setTimeout(r, 100)))
      .then(() => durableWrite.call(this, count))
      .catch(() => undefined);
    return Promise.resolve();
  };
})();
`,
  );
  // The copy lives outside the repository, so it finds the repository's packages through NODE_PATH.
  const nodePath = [join(SERVICE_DIR, 'node_modules'), join(REPO_ROOT, 'node_modules')].join(':');
  return { main: join(dir, 'dist', 'main.js'), env: { NODE_PATH: nodePath } };
}
