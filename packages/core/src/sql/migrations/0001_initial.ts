import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { INT_TYPE, MILLIS_TYPE, bytesType, documentType, keyType, shortType, tableOptions } from './column-types.js';

/**
 * Schema version 1: accounts and EAB keys, orders with their authorizations
 * and challenges, the certificate pipeline with revocations, blocked keys and
 * nonces. Timestamps are BIGINT milliseconds, JSON documents are text.
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const key = keyType(dialect);
  const short = shortType(dialect);
  const doc = documentType(dialect);
  const bytes = bytesType(dialect);
  const options = tableOptions(dialect);

  await db.schema
    .createTable('accounts')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('status', short, (c) => c.notNull())
    .addColumn('jwk', doc, (c) => c.notNull())
    .addColumn('thumbprint', key, (c) => c.notNull())
    .addColumn('contact', doc, (c) => c.notNull())
    .addColumn('terms_agreed', INT_TYPE, (c) => c.notNull())
    .addColumn('eab_key_id', key)
    .addColumn('created_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('version', INT_TYPE, (c) => c.notNull())
    .addUniqueConstraint('accounts_thumbprint_key', ['thumbprint'])
    .$call(options)
    .execute();

  await db.schema
    .createTable('eab_keys')
    .addColumn('key_id', key, (c) => c.primaryKey())
    .addColumn('hmac_key', bytes, (c) => c.notNull())
    .addColumn('label', doc)
    .addColumn('created_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('bound_account_id', key)
    .addColumn('bound_at', MILLIS_TYPE)
    .$call(options)
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('account_id', key, (c) => c.notNull())
    .addColumn('status', short, (c) => c.notNull())
    .addColumn('identifiers', doc, (c) => c.notNull())
    .addColumn('expires', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('not_before', MILLIS_TYPE)
    .addColumn('not_after', MILLIS_TYPE)
    .addColumn('profile', key)
    .addColumn('replaces', key)
    .addColumn('certificate_serial', key)
    .addColumn('error', doc)
    .addColumn('created_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('updated_at', MILLIS_TYPE, (c) => c.notNull())
    .$call(options)
    .execute();
  await db.schema.createIndex('orders_account_created_idx').on('orders').columns(['account_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('orders_status_updated_idx').on('orders').columns(['status', 'updated_at']).execute();
  await db.schema.createIndex('orders_certificate_serial_idx').on('orders').column('certificate_serial').execute();
  await db.schema.createIndex('orders_replaces_idx').on('orders').column('replaces').execute();
  await db.schema.createIndex('orders_expires_idx').on('orders').column('expires').execute();

  await db.schema
    .createTable('authorizations')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('account_id', key, (c) => c.notNull())
    .addColumn('identifier_type', short, (c) => c.notNull())
    .addColumn('identifier_value', key, (c) => c.notNull())
    .addColumn('wildcard', INT_TYPE, (c) => c.notNull())
    .addColumn('status', short, (c) => c.notNull())
    .addColumn('expires', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('created_at', MILLIS_TYPE, (c) => c.notNull())
    .$call(options)
    .execute();
  await db.schema
    .createIndex('authorizations_reuse_idx')
    .on('authorizations')
    .columns(['account_id', 'identifier_type', 'identifier_value', 'wildcard', 'status', 'expires'])
    .execute();
  await db.schema.createIndex('authorizations_expires_idx').on('authorizations').column('expires').execute();

  await db.schema
    .createTable('order_authorizations')
    .addColumn('order_id', key, (c) => c.notNull())
    .addColumn('position', INT_TYPE, (c) => c.notNull())
    .addColumn('authorization_id', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('order_authorizations_pkey', ['order_id', 'position'])
    .$call(options)
    .execute();
  await db.schema
    .createIndex('order_authorizations_authorization_idx')
    .on('order_authorizations')
    .column('authorization_id')
    .execute();

  await db.schema
    .createTable('challenges')
    .addColumn('id', key, (c) => c.primaryKey())
    .addColumn('authorization_id', key, (c) => c.notNull())
    .addColumn('position', INT_TYPE, (c) => c.notNull())
    .addColumn('type', short, (c) => c.notNull())
    .addColumn('status', short, (c) => c.notNull())
    .addColumn('token', key, (c) => c.notNull())
    .addColumn('validated_at', MILLIS_TYPE)
    .addColumn('error', doc)
    .addColumn('validation_record', doc)
    .$call(options)
    .execute();
  await db.schema.createIndex('challenges_authorization_idx').on('challenges').columns(['authorization_id', 'position']).execute();

  await db.schema
    .createTable('certificates')
    .addColumn('serial', key, (c) => c.primaryKey())
    .addColumn('issuer_id', key, (c) => c.notNull())
    .addColumn('state', short, (c) => c.notNull())
    .addColumn('account_id', key)
    .addColumn('order_id', key)
    .addColumn('identifiers', doc, (c) => c.notNull())
    .addColumn('profile', key)
    .addColumn('not_before', MILLIS_TYPE)
    .addColumn('not_after', MILLIS_TYPE)
    .addColumn('crl_shard', INT_TYPE, (c) => c.notNull())
    .addColumn('planned_tbs', bytes)
    .addColumn('precertificate_der', bytes)
    .addColumn('certificate_der', bytes)
    .addColumn('created_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('updated_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('revoked_at', MILLIS_TYPE)
    .addColumn('revocation_reason', INT_TYPE)
    .$call(options)
    .execute();
  await db.schema.createIndex('certificates_issuer_serial_idx').on('certificates').columns(['issuer_id', 'serial']).execute();
  await db.schema.createIndex('certificates_state_updated_idx').on('certificates').columns(['state', 'updated_at']).execute();
  await db.schema
    .createIndex('certificates_revoked_idx')
    .on('certificates')
    .columns(['issuer_id', 'revoked_at', 'crl_shard', 'not_after'])
    .execute();

  await db.schema
    .createTable('blocked_keys')
    .addColumn('spki_sha256', key, (c) => c.primaryKey())
    .addColumn('reason', doc, (c) => c.notNull())
    .addColumn('added_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('source_serial', key)
    .$call(options)
    .execute();

  await db.schema
    .createTable('nonces')
    .addColumn('value', key, (c) => c.primaryKey())
    .addColumn('expires', MILLIS_TYPE, (c) => c.notNull())
    .$call(options)
    .execute();
  await db.schema.createIndex('nonces_expires_idx').on('nonces').column('expires').execute();
}
