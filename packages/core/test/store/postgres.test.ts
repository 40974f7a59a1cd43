import { describe, it } from 'vitest';
import { storeContract } from './contract.js';
import { openFreshPostgres } from '../sql/databases.js';

// Each test gets its own database (CREATE DATABASE cw_<random>, dropped on close),
// so this file can run in parallel with others. An unreachable server fails the tests.
const url = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];

if (url === undefined || url === '') {
  const hint = 'PostgreSQL store tests skipped: set CERTWRIGHT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test';
  console.warn(hint);
  describe.skip('SqlStore (PostgreSQL)', () => {
    it(hint, () => undefined);
  });
} else {
  storeContract('SqlStore (PostgreSQL)', () => openFreshPostgres(url));
}
