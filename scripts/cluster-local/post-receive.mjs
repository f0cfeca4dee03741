#!/usr/bin/env node
// The local remote's post-receive hook: tells argocd-server about each pushed branch with a
// GitHub-style push event, as GitHub's webhook would, so a `git push` starts a sync in seconds
// instead of at Argo CD's next poll. A failed call never fails the push (it cannot: the refs are
// already updated); it says so, and the poll still comes.
//
//   post-receive.mjs <webhook URL> <repository web URL>   (ref updates on stdin, as git gives them)
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [webhook, webUrl] = process.argv.slice(2);
const ZERO = /^0+$/;

function changedFiles(before, after) {
  const files = { added: [], modified: [], removed: [] };
  const lines = ZERO.test(before)
    ? execFileSync('git', ['ls-tree', '-r', '--name-only', after], { encoding: 'utf8' })
        .split('\n')
        .map((f) => `A\t${f}`)
    : execFileSync('git', ['diff', '--name-status', '--no-renames', before, after], { encoding: 'utf8' }).split('\n');
  for (const line of lines) {
    const [status, path] = line.split('\t');
    if (!path) continue;
    if (status === 'A') files.added.push(path);
    else if (status === 'D') files.removed.push(path);
    else files.modified.push(path);
  }
  return files;
}

for (const line of readFileSync(0, 'utf8').split('\n')) {
  const [before, after, ref] = line.trim().split(/\s+/);
  if (!ref?.startsWith('refs/heads/') || ZERO.test(after)) continue;
  const message = execFileSync('git', ['log', '-1', '--format=%s', after], { encoding: 'utf8' }).trim();
  const commit = { id: after, message, ...changedFiles(before, after) };
  const payload = {
    ref,
    before,
    after,
    repository: {
      html_url: webUrl,
      clone_url: `${webUrl}.git`,
      default_branch: 'main',
      name: webUrl.split('/').pop(),
    },
    head_commit: commit,
    commits: [commit],
  };
  try {
    const response = await fetch(webhook, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': randomUUID() },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(5000),
    });
    console.log(`argocd webhook: ${ref} ${after.slice(0, 12)} -> HTTP ${response.status}`);
  } catch (error) {
    console.log(`argocd webhook: not delivered (${error.message}); Argo CD will see ${ref} at its next poll`);
  }
}
