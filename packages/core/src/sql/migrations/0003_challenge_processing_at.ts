import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { MILLIS_TYPE } from './column-types.js';

/**
 * Schema version 3 (expand-only: one nullable column and one index):
 * - `challenges.processing_at`: when the challenge's current validation
 *   started (RFC 8555 §7.5.1: the client's POST moves it to `processing`),
 *   so that a validation a crash interrupted can be told from one another
 *   node is running on a shared database. NULL where code of schema version
 *   2 started the validation: its age is unknown;
 * - `challenges_status_processing_at_idx` on (`status`, `processing_at`):
 *   the periodic recovery's query for challenges `processing` since before
 *   a cutoff.
 */
export async function up(db: Kysely<unknown>, _dialect: SqlDialectName): Promise<void> {
  await db.schema.alterTable('challenges').addColumn('processing_at', MILLIS_TYPE).execute();
  await db.schema.createIndex('challenges_status_processing_at_idx').on('challenges').columns(['status', 'processing_at']).execute();
}
