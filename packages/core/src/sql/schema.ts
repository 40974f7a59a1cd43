import type { ColumnType } from 'kysely';

/**
 * A millisecond timestamp (ms since the Unix epoch) in a BIGINT column.
 * Written as a number; read back as a number or, from PostgreSQL's `int8`,
 * a string, so every reader converts it with `Number()`.
 */
export type Millis = ColumnType<number | string, number, number>;
/** A nullable {@link Millis} column. */
export type NullableMillis = ColumnType<number | string | null, number | null | undefined, number | null>;
/** An INTEGER column (0/1 for booleans), read as a number or string depending on the driver. */
export type Int = ColumnType<number | string, number, number>;
/** A nullable INTEGER column. */
export type NullableInt = ColumnType<number | string | null, number | null | undefined, number | null>;
/** A byte-array column (BLOB, BYTEA, LONGBLOB); drivers return a `Buffer`. */
export type Bytes = ColumnType<Uint8Array, Uint8Array, Uint8Array>;
/** A nullable byte-array column. */
export type NullableBytes = ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
/** A nullable string column. */
export type NullableText = ColumnType<string | null, string | null | undefined, string | null>;

/** Table `accounts` (RFC 8555 §7.1.2). JSON columns hold text. */
export interface AccountsTable {
  id: string;
  status: string;
  jwk: string;
  thumbprint: string;
  contact: string;
  terms_agreed: Int;
  eab_key_id: NullableText;
  created_at: Millis;
  version: Int;
}

/** Table `eab_keys` (RFC 8555 §7.3.4). */
export interface EabKeysTable {
  key_id: string;
  hmac_key: Bytes;
  label: NullableText;
  created_at: Millis;
  bound_account_id: NullableText;
  bound_at: NullableMillis;
}

/** Table `orders` (RFC 8555 §7.1.3). */
export interface OrdersTable {
  id: string;
  account_id: string;
  status: string;
  identifiers: string;
  expires: Millis;
  not_before: NullableMillis;
  not_after: NullableMillis;
  profile: NullableText;
  replaces: NullableText;
  certificate_serial: NullableText;
  error: NullableText;
  created_at: Millis;
  updated_at: Millis;
}

/** Table `order_authorizations`: an order's authorizations, by position. */
export interface OrderAuthorizationsTable {
  order_id: string;
  position: Int;
  authorization_id: string;
}

/** Table `authorizations` (RFC 8555 §7.1.4). */
export interface AuthorizationsTable {
  id: string;
  account_id: string;
  identifier_type: string;
  identifier_value: string;
  wildcard: Int;
  status: string;
  expires: Millis;
  created_at: Millis;
}

/** Table `challenges` (RFC 8555 §8), ordered within an authorization by `position`. */
export interface ChallengesTable {
  id: string;
  authorization_id: string;
  position: Int;
  type: string;
  status: string;
  token: string;
  validated_at: NullableMillis;
  error: NullableText;
  validation_record: NullableText;
  /** Schema version 3; NULL in rows whose validation code of version 2 started. */
  processing_at: NullableMillis;
}

/** Table `certificates`: the write-ahead issuance record and its revocation. */
export interface CertificatesTable {
  serial: string;
  issuer_id: string;
  state: string;
  account_id: NullableText;
  order_id: NullableText;
  identifiers: string;
  profile: NullableText;
  not_before: NullableMillis;
  not_after: NullableMillis;
  crl_shard: Int;
  planned_tbs: NullableBytes;
  precertificate_der: NullableBytes;
  certificate_der: NullableBytes;
  created_at: Millis;
  updated_at: Millis;
  revoked_at: NullableMillis;
  revocation_reason: NullableInt;
}

/** Table `blocked_keys` (RFC 8555 §7.6). */
export interface BlockedKeysTable {
  spki_sha256: string;
  reason: string;
  added_at: Millis;
  source_serial: NullableText;
}

/** Table `nonces` (RFC 8555 §7.2). */
export interface NoncesTable {
  value: string;
  expires: Millis;
}

/** A DOUBLE PRECISION column: drivers return a number (a string from some MySQL set-ups, so readers convert with `Number()`). */
export type Double = ColumnType<number | string, number, number>;
/** A BIGINT counter, read as a number, a bigint or (PostgreSQL `int8`) a string. */
export type Counter = ColumnType<number | string | bigint, number, number>;

/** Table `rate_limit_buckets` (schema version 2): token buckets of the store-backed rate limiter. */
export interface RateLimitBucketsTable {
  key: string;
  tokens: Double;
  updated_at: Millis;
  full_at: Millis;
  version: Int;
}

/** Table `crl_numbers` (schema version 2): the last cRLNumber handed out per issuer and shard (RFC 5280 §5.2.3). */
export interface CrlNumbersTable {
  issuer_id: string;
  shard: Int;
  number: Counter;
  updated_at: Millis;
}

/** The certwright SQL schema, as Kysely sees it. */
export interface Schema {
  accounts: AccountsTable;
  eab_keys: EabKeysTable;
  orders: OrdersTable;
  order_authorizations: OrderAuthorizationsTable;
  authorizations: AuthorizationsTable;
  challenges: ChallengesTable;
  certificates: CertificatesTable;
  blocked_keys: BlockedKeysTable;
  nonces: NoncesTable;
  rate_limit_buckets: RateLimitBucketsTable;
  crl_numbers: CrlNumbersTable;
}
