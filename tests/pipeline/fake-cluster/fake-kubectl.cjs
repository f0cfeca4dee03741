// A stand-in for kubectl, backed by real visits service processes: each "pod" is
// `node service/dist/main.js` on its own loopback address with its own data directory (its "PVC").
// It answers exactly the kubectl calls scripts/smoke.mjs makes. State lives in $FAKE_CLUSTER_STATE.
// FAKE_CLUSTER_FAULT=lose-data makes a deleted pod come back on an empty volume (the smoke must fail).
// FAKE_CLUSTER_FAULT=misroute-headless sends <pod>.visits-headless to the next pod (see in-pod.cjs).
const { spawn, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const stateFile = process.env.FAKE_CLUSTER_STATE;
const load = () => JSON.parse(readFileSync(stateFile, 'utf8'));
const save = (state) => writeFileSync(stateFile, JSON.stringify(state, null, 2));
const out = (value) => process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
const die = (message, code = 1) => {
  process.stderr.write(`fake-kubectl: ${message}\n`);
  process.exit(code);
};

async function waitReady(pod, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://${pod.ip}:${pod.monitorPort}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) die(`pod ${pod.name} not ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a pod's service process, detached so that it outlives this kubectl call. */
function startPod(state, pod) {
  const child = spawn(process.execPath, [state.serviceMain], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH,
      HOST: pod.ip,
      PORT: String(pod.port),
      MONITOR_PORT: String(pod.monitorPort),
      DATA_DIR: pod.dataDir,
      POD_NAME: pod.name,
      SHUTDOWN_DELAY_MS: '0',
      LOG_LEVEL: 'warn',
    },
  });
  child.unref();
  pod.pid = child.pid;
  pod.uid = randomUUID();
}

async function main() {
  const args = process.argv.slice(2);
  const take = (flag) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const context = take('--context');
  const namespace = take('-n');
  if (args[0] === 'version') return out('fake');
  const state = load();
  if (context !== state.context) die(`context "${context}" does not exist`);
  if (namespace !== 'visits') die(`namespace ${namespace} not found`);
  const pod = (name) => state.pods.find((p) => p.name === name) ?? die(`pods "${name}" not found`);
  const [verb, ...rest] = args;

  if (verb === 'rollout') return;
  if (verb === 'get' && rest[0] === 'statefulset')
    return out({ spec: { replicas: state.pods.length }, status: { readyReplicas: state.pods.length } });
  if (verb === 'get' && rest[0] === 'pvc') {
    const p = pod(rest[1].replace(/^data-/, ''));
    return out({
      metadata: { uid: p.pvcUid },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '128Mi' } } },
      status: { phase: 'Bound' },
    });
  }
  if (verb === 'get' && rest[0] === 'pod') {
    const p = pod(rest[1]);
    if (rest.includes('jsonpath={.metadata.uid}')) return out(p.uid);
    return out({ metadata: { uid: p.uid }, status: { podIP: p.ip } });
  }
  if (verb === 'exec') {
    const p = pod(rest[0]);
    const command = rest.slice(rest.indexOf('--') + 1);
    if (command[0] === 'cat') {
      try {
        return out(readFileSync(join(p.dataDir, command[1].replace(/^data\//, '')), 'utf8'));
      } catch {
        die(`cat: ${command[1]}: No such file or directory`);
      }
    }
    if (command[0] === 'node' && command[1] === '-e') {
      // Inside the "pod": the Service name balances over the pods, pod DNS names resolve to pod IPs.
      const result = spawnSync(process.execPath, ['-r', join(__dirname, 'in-pod.cjs'), '-e', command[2]], {
        encoding: 'utf8',
        env: { ...process.env, FAKE_PODS: JSON.stringify(state.pods.map(({ name, ip, port }) => ({ name, ip, port }))) },
      });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      process.exit(result.status ?? 1);
    }
    die(`unsupported exec: ${command.join(' ')}`);
  }
  if (verb === 'delete' && rest[0] === 'pod') {
    const p = pod(rest[1]);
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    while (
      (() => {
        try {
          process.kill(p.pid, 0);
          return true;
        } catch {
          return false;
        }
      })()
    )
      await new Promise((r) => setTimeout(r, 50));
    if (process.env.FAKE_CLUSTER_FAULT === 'lose-data') {
      p.dataDir = `${p.dataDir}-new`;
      mkdirSync(p.dataDir, { recursive: true });
    }
    p.ip = p.ip.replace(/\.(\d+)$/, (_, last) => `.${Number(last) + 10}`); // a new pod gets a new IP
    startPod(state, p);
    save(state);
    return;
  }
  if (verb === 'wait') return waitReady(pod(rest.find((a) => a.startsWith('pod/')).slice(4)));
  die(`unsupported: ${args.join(' ')}`);
}

module.exports = { startPod, waitReady };
if (require.main === module) main().catch((err) => die(err.message));
