import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/repo-root';
import { runCommand } from '../support/run-command';

/**
 * Supply chain: one committed npm lock file covers every package.json of the repository (the
 * root and its workspaces); it records an integrity hash for every downloaded package and
 * fetches nothing from outside the npm registry; and the manifests pin exact versions.
 */

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
interface Manifest {
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

test('package-lock.json is committed and every package.json in the repository is covered by it', async () => {
  const tracked = await runCommand('git', ['ls-files', '-z'], { cwd: REPO_ROOT });
  expect(tracked.code).toBe(0);
  const files = tracked.stdout.split('\0').filter(Boolean);
  expect(files).toContain('package-lock.json');
  const root = await readJson<Manifest>(join(REPO_ROOT, 'package.json'));
  const lock = await readJson<{ lockfileVersion: number; packages: Record<string, LockEntry> }>(join(REPO_ROOT, 'package-lock.json'));
  expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
  const manifests = files.filter((f) => f.endsWith('package.json') && !f.includes('node_modules/'));
  const workspaces = new Set(root.workspaces ?? []);
  // A package.json that is neither the root nor a workspace would have no lock at all.
  expect(manifests.filter((f) => f !== 'package.json' && !workspaces.has(f.replace(/\/package\.json$/, '')))).toEqual([]);
  expect(files.filter((f) => /(^|\/)(yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json)$/.test(f))).toEqual([]);

  for (const path of manifests) {
    const manifest = await readJson<Manifest>(join(REPO_ROOT, path));
    const key = path === 'package.json' ? '' : path.replace(/\/package\.json$/, '');
    const entry = lock.packages[key];
    expect(entry).toBeDefined();
    // The lock was made from this very manifest (npm ci would refuse otherwise).
    expect({ path, dependencies: entry?.dependencies ?? {}, devDependencies: entry?.devDependencies ?? {} }).toEqual({
      path,
      dependencies: manifest.dependencies ?? {},
      devDependencies: manifest.devDependencies ?? {},
    });
  }
});

test('every locked package has an integrity hash and comes from the npm registry', async () => {
  const lock = await readJson<{ packages: Record<string, LockEntry> }>(join(REPO_ROOT, 'package-lock.json'));
  const problems: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.includes('node_modules/') || entry.link) continue;
    if (!entry.integrity?.startsWith('sha512-')) problems.push(`${path}: no sha512 integrity`);
    if (entry.resolved && !entry.resolved.startsWith('https://registry.npmjs.org/'))
      problems.push(`${path}: resolved from ${entry.resolved}`);
  }
  expect(problems).toEqual([]);
});

test('dependencies are pinned to exact versions in every manifest', async () => {
  const tracked = (await runCommand('git', ['ls-files', '-z', '*package.json'], { cwd: REPO_ROOT })).stdout.split('\0').filter(Boolean);
  const loose: string[] = [];
  for (const path of tracked.filter((f) => !f.includes('node_modules/'))) {
    const manifest = await readJson<Manifest>(join(REPO_ROOT, path));
    for (const [name, spec] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(spec)) loose.push(`${path}: ${name}@${spec}`);
    }
  }
  expect(loose).toEqual([]);
});
