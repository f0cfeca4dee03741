// node service/bench/lib/top-frames.mjs FILE.cpuprofile [N]
// Prints the top frames of a V8 CPU profile (node --cpu-prof) by self time, and by package
// (the node_modules directory a frame's script belongs to), so hot spots can be read without a GUI.
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const selfUs = new Map(profile.nodes.map((n) => [n.id, 0]));
// timeDeltas[i] is the time before sample i; the sample's node gets it as self time.
profile.samples.forEach((id, i) => selfUs.set(id, selfUs.get(id) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url) => {
  if (!url) return '(native)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  return url.replace(/^file:\/\//, '').replace(/.*\/(service\/dist\/)/, '$1');
};
const byFrame = new Map();
const byPackage = new Map();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const t = selfUs.get(node.id);
  const frame = `${functionName || '(anonymous)'}  ${where(url)}:${lineNumber + 1}`;
  byFrame.set(frame, (byFrame.get(frame) ?? 0) + t);
  byPackage.set(where(url), (byPackage.get(where(url)) ?? 0) + t);
}
const print = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
print('by self time', byFrame, Number(top));
print('by package', byPackage, 15);
