import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_rate_limits_crl_numbers.js';
import * as m0003 from './0003_challenge_processing_at.js';

/**
 * One schema migration. Migrations are expand-only: they create tables, add
 * nullable or defaulted columns and add indexes, never drop, rename or
 * tighten anything, so the schema at version N still serves the code of
 * version N-1 (blue/green upgrades can roll back).
 */
export interface SqlMigration {
  /** `NNNN_description`; `NNNN` is the schema version this migration produces. */
  readonly name: string;
  /** Applies the migration for `dialect`. */
  up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void>;
}

/** Every migration, in order. Append new ones; never edit or remove one that shipped. */
export const MIGRATIONS: readonly SqlMigration[] = [
  { name: '0001_initial', up: m0001.up },
  { name: '0002_rate_limits_crl_numbers', up: m0002.up },
  { name: '0003_challenge_processing_at', up: m0003.up },
];
