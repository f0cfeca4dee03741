import { execFileSync } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { makeTempDir } from '../support/service-process';
import { run, type Engine } from './engine';

/**
 * Public registries cannot be reached on these machines, so the smoke test builds its own Node.js
 * base image from the host: its `node` binary, npm, the shared libraries they need (from ldd),
 * a minimal userland (sh, env, cat) and the host's CA bundle. It stands in for the official
 * node image through the Dockerfile's NODE_IMAGE build argument.
 */
export async function buildLocalBase(engine: Engine, tag: string): Promise<void> {
  const context = await makeTempDir('visits-base-');
  try {
    const root = join(context, 'rootfs');
    const node = process.execPath;
    const npmDir = join(dirname(node), '..', 'lib', 'node_modules', 'npm');
    const tools = ['/bin/sh', '/usr/bin/env', '/bin/cat'];

    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    await copyFile(node, join(root, 'usr/local/bin/node'));
    await cp(npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    for (const tool of tools) await copyInto(root, tool);
    for (const library of sharedLibraries([node, ...tools])) await copyInto(root, library);
    await copyInto(root, '/etc/ssl/certs/ca-certificates.crt');
    await mkdir(join(root, 'tmp'));
    await chmod(join(root, 'tmp'), 0o1777);

    // HOME: npm keeps its cache there; the test mounts the host's cache at /root/.npm.
    await writeFile(
      join(context, 'Containerfile'),
      [
        'FROM scratch',
        'COPY rootfs/ /',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    await run(engine, ['build', '--quiet', '-f', join(context, 'Containerfile'), '-t', tag, context], { timeoutMs: 120_000 });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Absolute paths of the shared libraries (and the dynamic loader) that `binaries` load. */
export function sharedLibraries(binaries: string[]): string[] {
  const output = execFileSync('ldd', binaries, { encoding: 'utf8' });
  const paths = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.add(match[1]);
  }
  return [...paths].sort();
}

async function copyInto(root: string, path: string): Promise<void> {
  await mkdir(join(root, dirname(path)), { recursive: true });
  await copyFile(path, join(root, path)); // copyFile follows symlinks: the real library lands here
}
