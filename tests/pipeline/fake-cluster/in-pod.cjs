// Preloaded into programs that scripts/smoke.mjs runs "inside a pod" through the fake kubectl:
// http to the client Service `visits:80` goes to a random pod (as kube-proxy does per connection),
// and `<pod>.visits-headless` resolves to that pod's address (its port 8080 to the pod's real port).
const http = require('node:http');
const dns = require('node:dns');

const pods = JSON.parse(process.env.FAKE_PODS);
const originalGet = http.get;
http.get = (options, callback) => {
  if (options.host === 'visits' && options.port === 80) {
    const pod = pods[Math.floor(Math.random() * pods.length)];
    options = { ...options, host: pod.ip, port: pod.port };
  }
  const headless = /^(visits-\d+)\.visits-headless$/.exec(options.host ?? '');
  if (headless && options.port === 8080) {
    // FAKE_CLUSTER_FAULT=misroute-headless: a pod's name reaches another pod (the smoke must fail).
    const misroute = process.env.FAKE_CLUSTER_FAULT === 'misroute-headless';
    const index = pods.findIndex((p) => p.name === headless[1]);
    const pod = index < 0 ? undefined : pods[misroute ? (index + 1) % pods.length : index];
    if (pod) options = { ...options, host: pod.ip, port: pod.port };
  }
  return originalGet(options, callback);
};
const originalLookup = dns.lookup;
dns.lookup = (name, ...rest) => {
  const callback = rest[rest.length - 1];
  const match = /^(visits-\d+)\.visits-headless$/.exec(name);
  if (!match) return originalLookup(name, ...rest);
  const pod = pods.find((p) => p.name === match[1]);
  return pod
    ? process.nextTick(callback, null, pod.ip, 4)
    : process.nextTick(callback, Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
};
