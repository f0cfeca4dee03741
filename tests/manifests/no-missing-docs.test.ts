/**
 * The repository speaks for itself: a clone holds every page its files point to. No file names
 * the design page the contracts started from (it lives outside the repository; the contracts
 * are in docs/architecture.md#contracts), and every local link in README.md and docs/*.md leads
 * to a file in the repository and, for a link into a markdown page, to a heading or anchor there.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { runOrThrow } from '../support/run-command';
import { REPO_ROOT } from '../support/repo-root';

/** The outside page's file name, built from parts so that this file does not name it itself. */
const OUTSIDE_PAGE = ['DESIGN', 'md'].join('.');

interface Line {
  number: number;
  text: string;
}

/** The lines outside fenced code blocks: what a reader sees as prose, headings and links. */
function proseLines(markdown: string): Line[] {
  const lines: Line[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (!fence || marker.startsWith(fence))) fence = fence ? undefined : marker;
    else if (!fence) lines.push({ number: i + 1, text });
  });
  return lines;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, every space a hyphen. */
export function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown page offers: its headings (repeats numbered as GitHub does) and `<a id>`. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const slug = headingSlug(heading);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** What the link check may ask about the repository: its files and their text. */
export interface Tree {
  /** Repository-relative paths of the files in the repository. */
  files: Set<string>;
  read(path: string): string;
}

/** The local links of one markdown page that lead nowhere, one line each: `file:line: target: why`. */
export function brokenLinks(file: string, markdown: string, tree: Tree): string[] {
  const problems: string[] = [];
  const dirs = new Set([...tree.files].flatMap((f) => f.split('/').map((_, i, parts) => parts.slice(0, i).join('/'))));
  for (const { number, text } of proseLines(markdown)) {
    // Code spans are not links; keep their place so that a link around one still parses.
    const prose = text.replace(/`[^`]*`/g, '``');
    for (const m of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) continue; // https:, mailto:, another host
      const report = (why: string) => problems.push(`${file}:${number}: ${target}: ${why}`);
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const path = decodeURIComponent(pathPart);
      const resolved = !path ? file : path.startsWith('/') ? posix.normalize(path.slice(1)) : posix.join(posix.dirname(file), path);
      const inside = resolved.replace(/\/+$/, '');
      if (inside === '..' || inside.startsWith('../')) report('points outside the repository');
      else if (tree.files.has(inside)) {
        if (anchor && inside.endsWith('.md') && !anchorsOf(tree.read(inside)).has(anchor))
          report(`${inside} has no heading or anchor #${anchor}`);
      } else if (!dirs.has(inside)) report(`${inside} is not in the repository`);
    }
  }
  return problems;
}

/** The files of the repository as a clone has them: tracked or about to be, never node_modules. */
async function repositoryFiles(): Promise<string[]> {
  const listed = await runOrThrow('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT });
  return [...new Set(listed.split('\0').filter(Boolean))].filter((f) => !f.split('/').includes('node_modules'));
}

/** Reads a listed file; undefined when it is gone from the work tree (deleted, not yet committed). */
async function readListed(path: string): Promise<string | undefined> {
  try {
    return await readFile(join(REPO_ROOT, path), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
    throw err;
  }
}

let texts: Map<string, string>;

beforeAll(async () => {
  const files = await repositoryFiles();
  const read = await Promise.all(files.map(async (f) => [f, await readListed(f)] as const));
  texts = new Map(read.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
});

const tree = (): Tree => ({ files: new Set(texts.keys()), read: (path) => texts.get(path) ?? '' });

test(`no file points at ${OUTSIDE_PAGE}, which a clone does not have (the contracts are in docs/architecture.md#contracts)`, () => {
  expect(texts.size).toBeGreaterThan(100);
  const mentions = [...texts].flatMap(([file, text]) =>
    text.split('\n').flatMap((line, i) => (line.includes(OUTSIDE_PAGE) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(mentions).toEqual([]);
});

test('every local link in README.md and docs/*.md leads to a file in the repository and a heading there', () => {
  const pages = [...texts.keys()].filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f));
  expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/deploy.md']));
  expect(pages.flatMap((page) => brokenLinks(page, texts.get(page)!, tree()))).toEqual([]);
});

test('the link check catches a missing file, a missing anchor and a path out of the repository', () => {
  const planted: Record<string, string> = {
    'docs/a.md': '# A page\n\n## Its `second` part: here\n\n<a id="pin"></a>\n## A page\n',
    'docs/b.md': [
      '[ok](a.md) [ok](a.md#its-second-part-here) [ok](a.md#pin) [ok](a.md#a-page-1) [ok](#b)',
      '[ok](../apps/) [ok](https://example.com/x.md) [`ok`](a.md "title")',
      '[gone](missing.md) [no anchor](a.md#nowhere) [out](../../elsewhere/x.md)',
      '```sh',
      '[in code](not-checked.md)',
      '```',
      '# B',
    ].join('\n'),
    'apps/kustomization.yaml': '',
  };
  const fake: Tree = { files: new Set(Object.keys(planted)), read: (path) => planted[path] ?? '' };
  expect(brokenLinks('docs/b.md', planted['docs/b.md']!, fake)).toEqual([
    'docs/b.md:3: missing.md: docs/missing.md is not in the repository',
    'docs/b.md:3: a.md#nowhere: docs/a.md has no heading or anchor #nowhere',
    'docs/b.md:3: ../../elsewhere/x.md: points outside the repository',
  ]);
  expect(headingSlug('Before the first deploy: point a fork at itself')).toBe('before-the-first-deploy-point-a-fork-at-itself');
});
