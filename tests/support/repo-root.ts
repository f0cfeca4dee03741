import { resolve } from 'node:path';

/**
 * The repository's top folder, found from here (tests/support). Every suite names the files it
 * reads relative to this one constant, so a moved folder is fixed in one place.
 */
export const REPO_ROOT = resolve(__dirname, '../..');
