import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction of ARCHITECTURE.md is enforced by ESLint rules
 * (eslint.config.js). These tests prove the rules fire: each lints a small
 * offending source as if it lived at a given path and expects an error.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function messagesFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

describe('dependency direction (ARCHITECTURE.md)', () => {
  const cases: [string, string, string][] = [
    ['core main entry importing kysely', 'packages/core/src/example.ts', "import { Kysely } from 'kysely';\nexport const k = Kysely;\n"],
    ['core main entry importing a driver', 'packages/core/src/store/example.ts', "import pg from 'pg';\nexport const p = pg;\n"],
    ['core importing pkcs11js', 'packages/core/src/signers/example.ts', "import pkcs11js from 'pkcs11js';\nexport const p = pkcs11js;\n"],
    ['core importing a framework', 'packages/core/src/example.ts', "import fastify from 'fastify';\nexport const f = fastify;\n"],
    ['core importing another certwright package', 'packages/core/src/example.ts', "import { x } from '@certwright/acme';\nexport const y = x;\n"],
    ['core main entry reaching into the SQL subpath', 'packages/core/src/example.ts', "import { openSqlStore } from './sql/index.js';\nexport const o = openSqlStore;\n"],
    ['ocsp depending on acme', 'packages/ocsp/src/example.ts', "import { x } from '@certwright/acme';\nexport const y = x;\n"],
    ['hsm depending on acme', 'packages/hsm/src/example.ts', "import { x } from '@certwright/acme';\nexport const y = x;\n"],
    ['acme depending on ocsp', 'packages/acme/src/example.ts', "import { x } from '@certwright/ocsp';\nexport const y = x;\n"],
  ];
  for (const [name, path, code] of cases) {
    it(`rejects ${name}`, async () => {
      const messages = await messagesFor(path, code);
      expect(messages.some((m) => m.startsWith('no-restricted-imports'))).toBe(true);
    });
  }

  it('allows the SQL subpath to import kysely', async () => {
    const messages = await messagesFor('packages/core/src/sql/example.ts', "import { Kysely } from 'kysely';\nexport const k = Kysely;\n");
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('allows acme to depend on core', async () => {
    const messages = await messagesFor('packages/acme/src/example.ts', "import { systemClock } from '@certwright/core';\nexport const c = systemClock;\n");
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });
});

describe('time comes only from the Clock', () => {
  it('rejects new Date() in library code', async () => {
    const messages = await messagesFor('packages/core/src/example.ts', 'export const now = new Date();\n');
    expect(messages.some((m) => m.includes('injected Clock'))).toBe(true);
  });
  it('rejects Date.now() in library code', async () => {
    const messages = await messagesFor('packages/acme/src/example.ts', 'export const now = Date.now();\n');
    expect(messages.some((m) => m.includes('injected Clock'))).toBe(true);
  });
  it('allows constructing a Date from a value', async () => {
    const messages = await messagesFor('packages/core/src/example.ts', 'export const t = new Date(0);\n');
    expect(messages.filter((m) => m.includes('injected Clock'))).toEqual([]);
  });
});
