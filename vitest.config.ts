import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Tests run against the TypeScript sources: `@certwright/<pkg>` resolves to
 * `packages/<pkg>/src/index.ts`, and `@certwright/<pkg>/<sub>` to
 * `packages/<pkg>/src/<sub>/index.ts` — the same layout as each package's
 * `exports` map over `dist/`.
 */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@certwright\/([a-z]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      { find: /^@certwright\/([a-z]+)\/(.+)$/, replacement: `${root}packages/$1/src/$2/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
