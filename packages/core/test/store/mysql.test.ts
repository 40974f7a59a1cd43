import { describe, it } from 'vitest';
import { storeContract } from './contract.js';
import { openFreshMysql } from '../sql/databases.js';

// Each test gets its own database (CREATE DATABASE cw_<random>, dropped on close),
// so this file can run in parallel with others. An unreachable server fails the tests.
const url = process.env['CERTWRIGHT_TEST_MYSQL_URL'];

if (url === undefined || url === '') {
  const hint = 'MariaDB store tests skipped: set CERTWRIGHT_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test';
  console.warn(hint);
  describe.skip('SqlStore (MariaDB)', () => {
    it(hint, () => undefined);
  });
} else {
  storeContract('SqlStore (MariaDB)', () => openFreshMysql(url));
}
