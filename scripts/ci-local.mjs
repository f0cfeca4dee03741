#!/usr/bin/env node
// Runs a job of .github/workflows/ci.yml on this machine the way a GitHub runner does: in a fresh
// clone of the committed HEAD, every `run:` step in order, as an unprivileged user with passwordless
// sudo (GitHub's `runner`), within the job's own timeout-minutes; then prints each step's time.
//
//   npm run ci:local                 the pull-request gate (job `gate`)
//   npm run ci:local -- --job NAME   another job of ci.yml
//   npm run ci:local -- --keep       keep the clone afterwards (its path is printed)
//
// As root it runs the steps as the user `visits-ci` (made on first use, with a sudoers entry);
// as anyone else, as that user itself, who must have passwordless sudo. The user's home keeps its
// npm, Go and tools caches between runs, as a runner's actions/cache does between workflow runs.
// GitHub-only actions are done plainly, and each says how: checkout is the clone, setup-node is
// this machine's Node.js for npm (the tests run on the one npm ci installs), setup-go is this
// machine's Go, and actions/cache is that home directory.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CI_USER = 'visits-ci';
const args = process.argv.slice(2);
const jobName = args.includes('--job') ? args[args.indexOf('--job') + 1] : 'gate';
const keep = args.includes('--keep');

/** A program on the machine's PATH, past the node_modules/.bin entries npm puts first. */
function machineProgram(name) {
  const dirs = (process.env.PATH ?? '').split(':').filter((dir) => dir && !dir.includes('node_modules'));
  const found = dirs.map((dir) => join(dir, name)).find((file) => existsSync(file));
  if (!found) throw new Error(`${name} is not on this machine's PATH`);
  return found;
}

const say = (line) => console.log(`ci:local: ${line}`);
const run = (command, argv, options = {}) => execFileSync(command, argv, { encoding: 'utf8', ...options }).trim();

const workflow = parse(readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8'));
const job = workflow.jobs?.[jobName];
if (!job) {
  console.error(`ci:local: ci.yml has no job '${jobName}' (it has: ${Object.keys(workflow.jobs ?? {}).join(', ')})`);
  process.exit(2);
}
const timeoutMs = Number(job['timeout-minutes'] ?? 360) * 60_000;

/** The unprivileged user the steps run as, with passwordless sudo, as on GitHub's runners. */
function ciUser() {
  if (process.getuid() !== 0) {
    run('sudo', ['-n', 'true']); // throws with sudo's own words where a password would be asked for
    return { name: run('id', ['-un']), home: process.env.HOME, asUser: [] };
  }
  if (!existsSync('/usr/bin/sudo')) {
    say("installing sudo (Debian's package): the steps use it as a runner's user does");
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'sudo'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  try {
    run('id', ['-u', CI_USER]);
  } catch {
    say(`making the user ${CI_USER} (an unprivileged user with passwordless sudo, like GitHub's runner)`);
    run('useradd', ['--create-home', '--shell', '/bin/bash', CI_USER]);
  }
  const sudoers = `/etc/sudoers.d/${CI_USER}`;
  if (!existsSync(sudoers)) {
    writeFileSync(sudoers, `${CI_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    run('visudo', ['-cf', sudoers]);
  }
  const home = run('getent', ['passwd', CI_USER]).split(':')[5];
  return { name: CI_USER, home, asUser: ['sudo', '-n', '-u', CI_USER] };
}

/** A fresh clone of the committed HEAD, owned by the CI user: what actions/checkout gives a job. */
function checkout(user) {
  const parent = mkdtempSync(join(tmpdir(), 'visits-ci-'));
  const dir = join(parent, 'visits');
  run('git', ['clone', '--quiet', '--no-hardlinks', ROOT, dir]);
  if (user.asUser.length > 0) {
    run('chown', ['-R', `${user.name}:`, parent]);
    chmodSync(parent, 0o755);
  }
  return { parent, dir };
}

/**
 * Steps that this machine's network refuses and GitHub's runners do not: the step runs, and where
 * it fails with exactly this answer it is reported as not performed here, as .ci/run does.
 */
const REFUSED_HERE = [
  { run: 'npm run audit:deps', answer: /audit endpoint returned an error/, why: "the registry's advisory endpoint refused the request" },
];

/** Runs one `run:` script as the CI user in bash, as GitHub does; resolves with its exit code and its output's tail. */
function runStep(user, script, env, cwd, deadline) {
  const shell = ['bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', script];
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const [command, ...argv] = [...user.asUser, 'env', '-i', ...envArgs, ...shell];
  return new Promise((resolveStep) => {
    const child = spawn(command, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // The step runs in its own process group (detached), so a signal to this script would leave it
    // running: pass SIGINT and SIGTERM on to the whole group, then end as the signal says.
    const forward = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // it ended meanwhile
      }
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    };
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    let tail = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
        tail = (tail + chunk.toString()).slice(-65536);
      });
    }
    const timer = setTimeout(
      () => {
        say(`the job's timeout-minutes (${timeoutMs / 60_000}) ran out: stopping the step`);
        try {
          process.kill(-child.pid, 'SIGKILL'); // the step's whole process group, by its leader's PID
        } catch {
          // it ended meanwhile
        }
      },
      Math.max(0, deadline - Date.now()),
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveStep({ code: code ?? (signal ? 128 : 1), tail });
    });
  });
}

/** What stands in here for an action that only GitHub runs. */
function standIn(uses, user) {
  const name = uses.replace(/@.*/, '');
  switch (name) {
    case 'actions/checkout':
      return 'the fresh clone above';
    case 'actions/setup-node':
      return `this machine's Node.js ${run(machineProgram('node'), ['--version'])} runs npm; the tests run on the Node.js npm ci installs`;
    case 'actions/setup-go':
      return `this machine's ${run(machineProgram('go'), ['version'])}`;
    case 'actions/cache':
      return `${user.home}/.cache, kept between runs as actions/cache keeps it between workflow runs`;
    default:
      throw new Error(`ci:local does not know how to stand in for ${uses}`);
  }
}

const user = ciUser();
const { parent, dir } = checkout(user);
say(
  `job ${jobName} of ci.yml in ${dir} (HEAD ${run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}), as ${user.name}, timeout ${timeoutMs / 60_000} min`,
);
const scratch = mkdtempSync(join(tmpdir(), 'visits-ci-github-'));
if (user.asUser.length > 0) run('chown', ['-R', `${user.name}:`, scratch]);
const githubOutput = join(scratch, 'output');
writeFileSync(githubOutput, '');
if (user.asUser.length > 0) run('chown', [`${user.name}:`, githubOutput]);

/**
 * This machine's own network settings, which a runner's user has from its machine: the CA bundles
 * and proxies in the environment, npm's cafile and registry from root's npm configuration, and Go's
 * GOFLAGS from its env file. Nothing else of the calling environment reaches the steps.
 */
function machineNetworkEnv() {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => /(_CA_|_CA$|CERT|SSL|PROXY|^PIP_|^GO(PROXY|SUMDB|NOSUMDB|PRIVATE)$)/i.test(name) && !/^npm_/.test(name),
    ),
  );
  for (const setting of ['cafile', 'registry', 'proxy', 'https-proxy']) {
    const value = run(machineProgram('npm'), ['config', 'get', setting]);
    if (value && value !== 'null' && value !== 'undefined') env[`npm_config_${setting.replace('-', '_')}`] = value;
  }
  const goflags = run(machineProgram('go'), ['env', 'GOFLAGS']);
  if (goflags) env.GOFLAGS = goflags;
  return env;
}

const baseEnv = {
  ...machineNetworkEnv(),
  HOME: user.home,
  USER: user.name,
  LANG: 'C.UTF-8',
  CI: 'true',
  PATH: [dirname(machineProgram('go')), dirname(machineProgram('node')), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'].join(
    ':',
  ),
  GITHUB_OUTPUT: githubOutput,
  GITHUB_STEP_SUMMARY: join(scratch, 'summary'),
  ...(job.env ?? {}),
};

const started = Date.now();
const deadline = started + timeoutMs;
const times = [];
let failed;
for (const [index, step] of job.steps.entries()) {
  const name = step.name ?? step.uses ?? step.run.split('\n')[0];
  if (step.uses) {
    say(`step ${index + 1} ${name}: ${standIn(step.uses, user)}`);
    continue;
  }
  if (/\$\{\{/.test(step.run) || Object.values(step.env ?? {}).some((v) => /\$\{\{/.test(String(v)))) {
    throw new Error(`step '${name}' uses a GitHub expression, which ci:local does not evaluate: keep them out of run steps`);
  }
  say(`step ${index + 1} ${name}`);
  const stepStart = Date.now();
  const { code, tail } = await runStep(user, step.run, { ...baseEnv, ...(step.env ?? {}) }, dir, deadline);
  const seconds = (Date.now() - stepStart) / 1000;
  const refused = code !== 0 && REFUSED_HERE.find((known) => known.run === step.run && known.answer.test(tail));
  if (refused) say(`NOTICE: step '${name}' NOT performed here: ${refused.why} (GitHub's runners reach it)`);
  times.push({ step: name, seconds, code: refused ? 'not performed here' : code });
  if (code !== 0 && !refused) {
    failed = `${name} (exit ${code})`;
    break;
  }
}
const total = (Date.now() - started) / 1000;

console.log('\nci:local: step times');
for (const { step, seconds, code } of times)
  console.log(`${seconds.toFixed(0).padStart(6)} s  ${code === 0 ? 'ok  ' : typeof code === 'string' ? 'n/a ' : 'FAIL'}  ${step}`);
console.log(
  `${total.toFixed(0).padStart(6)} s  total, of the job's ${timeoutMs / 60_000} min (${Math.round((100 * total * 1000) / timeoutMs)}%)`,
);

rmSync(scratch, { recursive: true, force: true });
if (keep) say(`kept the clone: ${dir}`);
else rmSync(parent, { recursive: true, force: true });
if (failed) {
  say(`job ${jobName} FAILED at ${failed}`);
  process.exit(1);
}
if (total * 1000 > timeoutMs) {
  say(`job ${jobName} ran past its timeout-minutes`);
  process.exit(1);
}
say(`job ${jobName} passed in ${total.toFixed(0)} s`);
