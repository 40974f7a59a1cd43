// ESLint flat config. Besides typescript-eslint's recommended rules it enforces
// the dependency direction of ARCHITECTURE.md and the "time only from the
// Clock" rule, so a violation fails `pnpm lint` (and CI).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Modules only subpath entries (or other packages) may import. */
const drivers = ['kysely', 'kysely/*', 'better-sqlite3', 'pg', 'mysql2', 'mysql2/*', 'pkcs11js'];
const frameworks = ['fastify', 'fastify/*', 'express', 'express/*', 'node:http', 'node:https', 'http', 'https', 'node:http2'];

const restrict = (patterns, message) => ({ group: patterns, message });

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.certwright/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': ['error', { object: 'describe', property: 'only' }, { object: 'it', property: 'only' }, { object: 'test', property: 'only' }],
    },
  },
  // CommonJS files that tools load with require() (the pnpmfile): require is how they import.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Library code: time comes from the injected Clock (packages/core/src/clock.ts is the one exception).
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/core/src/clock.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read time from the injected Clock, not new Date().' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Read time from the injected Clock, not Date.now().' },
      ],
    },
  },
  // core's main entry: no database driver, framework or PKCS#11 binding; no other certwright package.
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/sql/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(drivers, 'core\'s main entry must not import a database driver or pkcs11js: put it under a subpath (src/sql) or another package.'),
        restrict(frameworks, 'core must not import an HTTP framework or server.'),
        restrict(['@certwright/*'], 'core depends on no other certwright package (ARCHITECTURE.md).'),
        restrict(['./sql/*', '../sql/*', '../../sql/*'], 'core\'s main entry must not reach into the SQL subpath (it pulls kysely and drivers).'),
      ] }],
    },
  },
  // core/sql may use kysely and drivers, but still nothing upstream.
  {
    files: ['packages/core/src/sql/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['pkcs11js'], 'the SQL store has no business with PKCS#11.'),
        restrict(frameworks, 'storage code must not import HTTP types.'),
        restrict(['@certwright/*'], 'core depends on no other certwright package.'),
      ] }],
    },
  },
  // ocsp, ct, hsm depend on core only; nothing depends on acme.
  {
    files: ['packages/ocsp/src/**/*.ts', 'packages/ct/src/**/*.ts', 'packages/hsm/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['@certwright/acme', '@certwright/acme/*', '@certwright/ocsp', '@certwright/ct', '@certwright/hsm'], 'ocsp, ct and hsm depend on @certwright/core only (ARCHITECTURE.md).'),
        restrict(['../../*/src/*', '../../../*/src/*'], 'import other packages by name, not by relative path.'),
      ] }],
    },
  },
  {
    files: ['packages/acme/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['@certwright/ocsp', '@certwright/ct', '@certwright/hsm'], 'acme depends on @certwright/core; other packages are wired in by the host app.'),
        restrict(['../../*/src/*', '../../../*/src/*'], 'import other packages by name, not by relative path.'),
      ] }],
    },
  },
);
