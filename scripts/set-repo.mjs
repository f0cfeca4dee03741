#!/usr/bin/env node
// Points a fork at itself: sets the git repository URL and revision that Argo CD syncs, and the
// image repository the overlays pin, everywhere they appear: clusters/, apps/, .github/, the
// image's source label (service/Dockerfile) and the monitoring tests that expect runbook links.
//
//   node scripts/set-repo.mjs --repo https://github.com/OWNER/visits.git [--revision main] [--image ghcr.io/OWNER/visits]
//   node scripts/set-repo.mjs --show      prints the current values
//
// It reads the current values from the manifests (every Application whose source is not a Helm
// chart, every overlay's `images:` entry for `visits`), refuses if they disagree, and replaces
// them as text, so comments and formatting stay as they are. Also rewrites links into the
// repository (https://github.com/OWNER/visits/blob/REVISION/..., e.g. runbook_url).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const SCAN = ['clusters', 'apps', '.github', 'tests/monitoring', 'service/Dockerfile'];
const TEXT = /(\.(ya?ml|json|md|ts)|^Dockerfile)$/;

function usage(message) {
  if (message) console.error(`set-repo: ${message}`);
  console.error('usage: node scripts/set-repo.mjs --repo URL [--revision REV] [--image REGISTRY/OWNER/NAME] [--root DIR] | --show');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { root: resolve(new URL('..', import.meta.url).pathname) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--show') args.show = true;
    else if (['--repo', '--revision', '--image', '--root'].includes(flag)) {
      const value = argv[++i];
      if (!value) usage(`${flag} needs a value`);
      args[flag.slice(2)] = flag === '--root' ? resolve(value) : value;
    } else usage(`unknown argument ${flag}`);
  }
  return args;
}

function files(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (TEXT.test(name)) out.push(path);
    }
  };
  for (const d of SCAN) {
    const path = join(root, d);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) walk(path);
    else out.push(path);
  }
  return out;
}

function docs(path) {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() ?? {});
}

/** The values in use now; every Application and overlay must agree on them. */
function current(root) {
  const repos = new Set();
  const revisions = new Set();
  const images = new Set();
  for (const path of files(root).filter((p) => /\.ya?ml$/.test(p))) {
    for (const doc of docs(path)) {
      if (doc.kind === 'Application') {
        for (const s of doc.spec?.source ? [doc.spec.source] : (doc.spec?.sources ?? [])) {
          if (s.chart !== undefined) continue;
          repos.add(s.repoURL);
          revisions.add(s.targetRevision);
        }
      }
      if (doc.kind === 'Kustomization' || /kustomization\.ya?ml$/.test(path)) {
        for (const image of doc.images ?? []) if (image.name === 'visits' && image.newName) images.add(image.newName);
      }
    }
  }
  const one = (set, what) => {
    if (set.size !== 1) usage(`expected one ${what} in the manifests, found ${set.size}: ${[...set].join(', ')}`);
    return [...set][0];
  };
  return { repo: one(repos, 'repository URL'), revision: one(revisions, 'target revision'), image: one(images, 'image name') };
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const webURL = (url) => url.replace(/\.git$/, '');

function validate(args) {
  // Plain http:// only on loopback: the local cluster's git remote (docs/local-cluster.md).
  if (args.repo && !/^(https:\/\/|ssh:\/\/|git@|http:\/\/(127(\.\d{1,3}){3}|localhost)(:\d+)?\/)[^\s]+$/.test(args.repo))
    usage(`--repo must be an https://, ssh:// or git@ URL (http:// only on loopback), got ${args.repo}`);
  if (args.revision && !/^[A-Za-z0-9._/-]+$/.test(args.revision)) usage(`--revision must be a branch, tag or commit, got ${args.revision}`);
  if (args.image && !/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/.test(args.image))
    usage(`--image must be REGISTRY/OWNER/NAME in lower case, got ${args.image}`);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const now = current(args.root);
  if (args.show) {
    console.log(`repo: ${now.repo}\nrevision: ${now.revision}\nimage: ${now.image}`);
    return;
  }
  if (!args.repo && !args.revision && !args.image) usage('nothing to set');
  validate(args);
  const next = { repo: args.repo ?? now.repo, revision: args.revision ?? now.revision, image: args.image ?? now.image };
  const rules = [
    // Links into the repository at a revision (runbook_url and the like), before the bare URL.
    [new RegExp(`${escape(webURL(now.repo))}/(blob|tree)/${escape(now.revision)}/`, 'g'), `${webURL(next.repo)}/$1/${next.revision}/`],
    [new RegExp(`${escape(now.repo)}(?![\\w.-])`, 'g'), next.repo],
    // The repository's web address alone (an image's org.opencontainers.image.source).
    [new RegExp(`${escape(webURL(now.repo))}(?![\\w.-])`, 'g'), webURL(next.repo)],
    [new RegExp(`${escape(now.image)}(?=[@:\\s'"]|$)`, 'gm'), next.image],
  ];
  let changed = 0;
  for (const path of files(args.root)) {
    const before = readFileSync(path, 'utf8');
    let text = before;
    for (const [pattern, value] of rules) text = text.replace(pattern, value);
    // targetRevision only in Application documents that use this repository (not chart versions).
    text = text
      .split(/^(?=---\s*$)/m)
      .map((part) =>
        part.includes(next.repo) && !/^\s*chart:/m.test(part)
          ? part.replace(new RegExp(`(targetRevision:[ \\t]*)${escape(now.revision)}[ \\t]*$`, 'gm'), `$1${next.revision}`)
          : part,
      )
      .join('');
    if (text !== before) {
      writeFileSync(path, text);
      changed++;
      console.log(`updated ${relative(args.root, path)}`);
    }
  }
  const after = current(args.root);
  console.log(`repo: ${after.repo}\nrevision: ${after.revision}\nimage: ${after.image}\n(${changed} files changed)`);
}

main();
