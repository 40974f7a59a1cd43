import { storeContract } from './contract.js';
import { openTempSqlite } from '../sql/databases.js';

// A fresh SQLite file per test (WAL mode, as in production). With
// CERTWRIGHT_TEST_SQLITE_FILE (and CERTWRIGHT_SCHEMA_PREMIGRATED=1) each test
// runs on a copy of that premigrated file: see scripts/schema-compat.mjs.
storeContract('SqlStore (SQLite)', openTempSqlite);
