#!/usr/bin/env node
// The seed lab's checks against a running cluster (kind from `npm run cluster:up`, or any other):
//   1. the StatefulSet has 3/3 pods Ready
//   2. PVCs data-visits-0..2 are Bound, 128Mi, ReadWriteOnce
//   3. traffic through the client Service lands on several pods, and visits sent to one pod by its
//      headless DNS name count on that pod alone (each pod keeps its own count)
//   4. deleting visits-1 brings back a new pod on the same PVC with the same count
//   5. visits-1.visits-headless resolves (inside the namespace) to visits-1's pod IP
// Dumps the namespace's state, events and logs when a check fails.
//
//   npm run smoke -- --context kind-visits [--namespace visits] [--replicas 3] [--size 128Mi] [--requests 60]
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run smoke -- --context NAME [--namespace visits] [--replicas 3] [--size 128Mi] [--requests 60] [--timeout 300]`;

/** Parses and validates the command line; throws an Error whose message is the one line to print. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      context: { type: 'string' },
      namespace: { type: 'string', default: 'visits' },
      replicas: { type: 'string', default: '3' },
      size: { type: 'string', default: '128Mi' },
      requests: { type: 'string', default: '60' },
      timeout: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { help: true };
  if (!values.context) throw new Error('--context is required (a kubeconfig context, e.g. kind-visits)');
  const count = (name, min) => {
    const n = Number(values[name]);
    if (!/^\d+$/.test(values[name]) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, got ${JSON.stringify(values[name])}`);
    return n;
  };
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace))
    throw new Error(`--namespace is not a namespace name: ${values.namespace}`);
  if (!/^\d+(Mi|Gi)$/.test(values.size)) throw new Error(`--size must look like 128Mi or 1Gi, got ${values.size}`);
  return {
    help: false,
    context: values.context,
    namespace: values.namespace,
    replicas: count('replicas', 2),
    size: values.size,
    requests: count('requests', 10),
    timeout: count('timeout', 10),
  };
}

function kubectl(options, args, { input, allowFailure = false } = {}) {
  const result = spawnSync('kubectl', ['--context', options.context, '-n', options.namespace, ...args], {
    input,
    encoding: 'utf8',
    timeout: (options.timeout + 30) * 1000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 && !allowFailure) {
    throw new Error(`kubectl ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

const json = (options, args) => JSON.parse(kubectl(options, [...args, '-o', 'json']));
const pod = (i) => `visits-${i}`;

/** Runs a small Node.js program inside a visits pod (the image has node and nothing else needed). */
function inPod(options, name, program) {
  return kubectl(options, ['exec', name, '-c', 'visits', '--', 'node', '-e', program]).trim();
}

/**
 * Sends `count` visits (GET /) from inside visits-0 to host:port, one connection each so that a
 * Service balances every one; returns how many were answered 200.
 */
function visitFromPod(options, host, port, count) {
  const program = `const http=require('http');let n=${count},ok=0;const go=()=>{if(!n--){console.log(ok);return}
    http.get({host:'${host}',port:${port},path:'/',agent:false},r=>{r.resume();if(r.statusCode===200)ok++;r.on('end',go)}).on('error',e=>{console.error(e.message);go()})};go()`;
  return Number(inPod(options, pod(0), program));
}

function countOf(options, name) {
  const text = kubectl(options, ['exec', name, '-c', 'visits', '--', 'cat', 'data/visits'], { allowFailure: true });
  return /^\d+\n$/.test(text) ? Number(text) : 0; // no file yet: the pod has counted nothing
}

const countsOf = (options) => Array.from({ length: options.replicas }, (_, i) => countOf(options, pod(i)));

function check(label, ok, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}${detail ? ` — ${detail}` : ''}`);
  if (!ok) throw new Error(`check failed: ${label}`);
}

async function run(options) {
  const { replicas } = options;
  kubectl(options, ['rollout', 'status', 'statefulset/visits', `--timeout=${options.timeout}s`]);
  const sts = json(options, ['get', 'statefulset', 'visits']);
  check(
    `${replicas}/${replicas} pods Ready`,
    sts.spec.replicas === replicas && sts.status.readyReplicas === replicas,
    `${sts.status.readyReplicas ?? 0}/${sts.spec.replicas} ready`,
  );

  for (let i = 0; i < replicas; i++) {
    const pvc = json(options, ['get', 'pvc', `data-${pod(i)}`]);
    const desc = `${pvc.status.phase} ${pvc.spec.resources.requests.storage} ${pvc.spec.accessModes.join(',')}`;
    check(
      `PVC data-${pod(i)} Bound ${options.size} RWO`,
      pvc.status.phase === 'Bound' &&
        pvc.spec.resources.requests.storage === options.size &&
        pvc.spec.accessModes.join() === 'ReadWriteOnce',
      desc,
    );
  }

  // Traffic through the client Service from inside the namespace.
  const before = countsOf(options);
  const answered = visitFromPod(options, 'visits', 80, options.requests);
  const after = countsOf(options);
  const deltas = after.map((value, i) => value - before[i]);
  check(`${options.requests} visits through Service visits answered`, answered === options.requests, `${answered} answered 200`);
  check('the visits add up across pods', deltas.reduce((a, b) => a + b, 0) === options.requests, `per-pod increase ${deltas.join(' + ')}`);
  check('traffic reached several pods', deltas.filter((d) => d > 0).length >= 2, `per-pod increase ${deltas.join(', ')}`);

  // Each pod keeps its own count. Comparing the counts alone would prove nothing and would fail by
  // chance (30 visits over 3 pods split 10/10/10 about 3 % of the time), so send a known number of
  // visits to the last pod by its stable headless name and see them land there and nowhere else.
  const target = pod(replicas - 1);
  const direct = Math.max(3, Math.floor(options.requests / 10));
  const directAnswered = visitFromPod(options, `${target}.visits-headless`, 8080, direct);
  const afterDirect = countsOf(options);
  const directDeltas = afterDirect.map((value, i) => value - after[i]);
  const expected = directDeltas.map((_, i) => (i === replicas - 1 ? direct : 0));
  check(
    `${direct} visits to ${target}.visits-headless count on ${target} alone`,
    directAnswered === direct && directDeltas.join() === expected.join(),
    `${directAnswered} answered 200, per-pod increase ${directDeltas.join(', ')}`,
  );

  const victim = pod(1);
  const oldPod = json(options, ['get', 'pod', victim]);
  const oldPvc = json(options, ['get', 'pvc', `data-${victim}`]);
  const kept = countOf(options, victim);
  kubectl(options, ['delete', 'pod', victim, '--wait=true', `--timeout=${options.timeout}s`]);
  const deadline = Date.now() + options.timeout * 1000;
  for (;;) {
    const again = kubectl(options, ['get', 'pod', victim, '-o', 'jsonpath={.metadata.uid}'], { allowFailure: true }).trim();
    if (again && again !== oldPod.metadata.uid) break;
    if (Date.now() > deadline) throw new Error(`${victim} was not recreated within ${options.timeout}s`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  kubectl(options, ['wait', '--for=condition=Ready', `pod/${victim}`, `--timeout=${options.timeout}s`]);
  const newPvc = json(options, ['get', 'pvc', `data-${victim}`]);
  check(`deleting ${victim} keeps its PVC`, newPvc.metadata.uid === oldPvc.metadata.uid, `PVC uid ${newPvc.metadata.uid}`);
  const restored = countOf(options, victim);
  check(`deleting ${victim} keeps its count`, restored === kept, `${kept} before, ${restored} after`);

  const podIP = json(options, ['get', 'pod', victim]).status.podIP;
  const resolved = inPod(
    options,
    pod(0),
    `require('dns').lookup('${victim}.visits-headless',(e,a)=>{if(e){console.error(e.message);process.exit(1)}console.log(a)})`,
  );
  check(`${victim}.visits-headless resolves to ${victim}'s IP`, resolved === podIP, `${resolved} vs pod IP ${podIP}`);
}

function dump(options) {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'cluster-dump.sh');
  spawnSync('bash', [script, options.context, options.namespace], { stdio: 'inherit', timeout: 120_000 });
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`smoke: ${err.message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  } catch {
    console.error('smoke: kubectl is not installed');
    process.exit(2);
  }
  try {
    await run(options);
    console.log('smoke: all checks passed');
  } catch (err) {
    console.error(`smoke: ${err.message}`);
    dump(options);
    process.exit(1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
