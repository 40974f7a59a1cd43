/*
 * Keeps the documentation's code runnable: every TypeScript block of
 * docs/getting-started.md and docs/api/*.md whose first line is
 * `// test: run` is written to a temporary .ts file, type-checked with the
 * repository's strict settings and imported through vitest's own transform,
 * so a renamed export, a changed option or a wrong claim in an assertion
 * fails here. The files go to `packages/acme/.docs-tmp/` (gitignored): from
 * there `@certwright/*` resolves through the workspace aliases and the
 * optional framework peers (express, fastify) resolve from packages/acme.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const tmpDir = join(repo, 'packages', 'acme', '.docs-tmp');

/** The marker that opts a block in; documented in docs/README.md. */
const RUN_MARKER = '// test: run';

interface Snippet {
  readonly doc: string;
  readonly line: number;
  readonly code: string;
}

/** The marked ```ts blocks of one Markdown text, with the line each starts on. */
function markedSnippets(doc: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  for (const match of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const code = match[1]!;
    if (!code.startsWith(RUN_MARKER + '\n')) continue;
    snippets.push({ doc, line: markdown.slice(0, match.index).split('\n').length, code });
  }
  return snippets;
}

const docs = [
  'docs/getting-started.md',
  ...(await readdir(join(repo, 'docs', 'api'))).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/api/${f}`),
];
const snippets = (await Promise.all(docs.map(async (doc) => markedSnippets(doc, await readFile(join(repo, doc), 'utf8'))))).flat();
const fileOf = (s: Snippet): string => join(tmpDir, `${s.doc.replace(/[^a-z0-9]+/gi, '-')}-${s.line}.ts`);

beforeAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  await Promise.all(snippets.map((s) => writeFile(fileOf(s), s.code)));
  const tsconfig = { extends: '../../../tsconfig.check.json', compilerOptions: { baseUrl: '../../..' }, include: ['./*.ts'] };
  await writeFile(join(tmpDir, 'tsconfig.json'), JSON.stringify(tsconfig));
});

afterAll(async () => {
  await rm(tmpDir, { recursive: true, force: true });
});

describe('documentation snippets', () => {
  it('finds the marker only on the first line of a ts block', () => {
    const md = ['```ts', RUN_MARKER, 'a', '```', '```ts', 'b', RUN_MARKER, '```', '```sh', RUN_MARKER, '```'].join('\n') + '\n';
    expect(markedSnippets('x.md', md)).toEqual([{ doc: 'x.md', line: 1, code: `${RUN_MARKER}\na\n` }]);
  });

  it('every document has marked snippets', () => {
    for (const doc of docs) expect(snippets.filter((s) => s.doc === doc).length, `${doc} has no block starting with ${RUN_MARKER}`).toBeGreaterThan(0);
  });

  it('type-check under the repository settings', async () => {
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', join(tmpDir, 'tsconfig.json')], { cwd: repo }).then(
      () => '',
      (err: { stdout?: string; message: string }) => err.stdout || err.message,
    );
    expect(result).toBe('');
  }, 180_000);

  it.each(snippets.map((s) => [`${s.doc}:${s.line}`, s] as const))('%s runs', async (_name, snippet) => {
    await expect(import(fileOf(snippet))).resolves.toBeDefined();
  });
});
