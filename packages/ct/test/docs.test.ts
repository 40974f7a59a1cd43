import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startTestLog } from '../src/testing/index.js';
import { engineWith, issueFor } from './helpers.js';

const docPath = fileURLToPath(new URL('../../../docs/ct.md', import.meta.url));
const blocks = async (): Promise<string[]> => [...(await readFile(docPath, 'utf8')).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

/** Writes a docs snippet next to this test (so the workspace aliases apply) and imports it. */
async function run(code: string): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(fileURLToPath(new URL('.', import.meta.url)), '.docs-'));
  dirs.push(dir);
  const file = join(dir, 'snippet.ts');
  await writeFile(file, code);
  return (await import(file)) as Record<string, unknown>;
}
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('docs/ct.md snippets run', () => {
  it('has the three TypeScript snippets', async () => {
    expect(await blocks()).toHaveLength(3);
  });

  it('the configuration example issues a certificate with two SCTs and submits it', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await run((await blocks())[0]!);
      expect(log).toHaveBeenCalledWith(2);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });

  it('checkEmbeddedScts verifies real SCTs and reports an unknown log', async () => {
    const mod = await run((await blocks())[1]!);
    const check = mod['checkEmbeddedScts'] as (c: Uint8Array, p: Uint8Array, s: Uint8Array, k: string[]) => { ok: boolean }[];
    const logA = await startTestLog({ operator: 'A' });
    const logB = await startTestLog({ operator: 'B' });
    try {
      const { createSctCollector } = await import('../src/index.js');
      const { systemClock } = await import('@certwright/core');
      const ct = createSctCollector({ logs: [logA.config(), logB.config()], required: 2, staggerMs: 0, clock: systemClock() });
      const { engine, store, h } = await engineWith(ct);
      const issued = await issueFor(engine, ['docs.example']);
      const pre = (await store.getCertificate(issued.serial))!.precertificateDer!;
      expect(check(issued.certificateDer, pre, h.intermediate.spki, [logA.publicKeyPem, logB.publicKeyPem])).toEqual([{ ok: true }, { ok: true }]);
      expect(check(issued.certificateDer, pre, h.intermediate.spki, [logA.publicKeyPem]).filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'unknown log' }]);
      const plain = await issueFor((await engineWith(undefined)).engine, ['plain.example']);
      expect(check(plain.certificateDer, pre, h.intermediate.spki, [])).toEqual([]);
    } finally {
      await Promise.all([logA.close(), logB.close()]);
    }
  });

  it('the test log example runs to its end', async () => {
    await expect(run((await blocks())[2]!)).resolves.toBeDefined();
  });
});
