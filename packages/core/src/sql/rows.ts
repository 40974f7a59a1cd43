import type { Selectable } from 'kysely';
import { CertwrightError } from '../errors.js';
import type { ProblemDocument } from '../errors.js';
import type { Identifier, IdentifierType } from '../identifier.js';
import type { AccountStatus, AuthorizationStatus, ChallengeStatus, OrderStatus } from '../domain/status.js';
import type {
  Account,
  Authorization,
  BlockedKey,
  CertificateRecord,
  CertificateState,
  Challenge,
  EabKey,
  Order,
  PublicJwk,
  Revocation,
  RevocationReason,
} from '../domain/entities.js';
import type {
  AccountsTable,
  AuthorizationsTable,
  BlockedKeysTable,
  CertificatesTable,
  ChallengesTable,
  EabKeysTable,
  OrdersTable,
} from './schema.js';

/*
 * Conversions between rows and domain objects. Rows hold timestamps as
 * millisecond numbers (PostgreSQL returns BIGINT as a string), booleans as
 * 0/1, JSON documents as text and byte arrays as driver buffers. Optional
 * fields that are NULL are left out of the domain object, as MemoryStore
 * leaves them out.
 */

/** A `Date` as stored: milliseconds since the epoch. */
export function toMillis(date: Date): number {
  return date.getTime();
}

/** A stored millisecond value (number or numeric string) as a `Date`. */
export function toDate(value: number | string): Date {
  return new Date(Number(value));
}

/** A stored nullable millisecond value as a `Date` or `undefined`. */
export function toOptionalDate(value: number | string | null): Date | undefined {
  return value === null ? undefined : toDate(value);
}

/** Bytes as a driver accepts them (better-sqlite3 binds only `Buffer`s), sharing memory with `bytes`. */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A stored byte array as a plain `Uint8Array` copy (not a `Buffer`). */
export function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

/** A value as a JSON text column. */
export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

/** A deep copy of a JSON value, as a round trip through a JSON column would give. */
export function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function fromJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Sets `key` on `target` only when `value` is not `undefined`. */
function setDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** An `accounts` row as an {@link Account}. */
export function toAccount(row: Selectable<AccountsTable>): Account {
  const account: Account = {
    id: row.id,
    status: row.status as AccountStatus,
    jwk: fromJson<PublicJwk>(row.jwk),
    thumbprint: row.thumbprint,
    contact: fromJson<string[]>(row.contact),
    termsOfServiceAgreed: Number(row.terms_agreed) === 1,
    createdAt: toDate(row.created_at),
    version: Number(row.version),
  };
  setDefined(account, 'eabKeyId', row.eab_key_id ?? undefined);
  return account;
}

/** An `eab_keys` row as an {@link EabKey}. */
export function toEabKey(row: Selectable<EabKeysTable>): EabKey {
  const key: EabKey = { keyId: row.key_id, hmacKey: toBytes(row.hmac_key), createdAt: toDate(row.created_at) };
  setDefined(key, 'boundAccountId', row.bound_account_id ?? undefined);
  setDefined(key, 'boundAt', toOptionalDate(row.bound_at));
  setDefined(key, 'label', row.label ?? undefined);
  return key;
}

/** An `orders` row with its authorization ids (by position) as an {@link Order}. */
export function toOrder(row: Selectable<OrdersTable>, authorizationIds: string[]): Order {
  const order: Order = {
    id: row.id,
    accountId: row.account_id,
    status: row.status as OrderStatus,
    identifiers: fromJson<Identifier[]>(row.identifiers),
    authorizationIds,
    expires: toDate(row.expires),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  setDefined(order, 'notBefore', toOptionalDate(row.not_before));
  setDefined(order, 'notAfter', toOptionalDate(row.not_after));
  setDefined(order, 'profile', row.profile ?? undefined);
  setDefined(order, 'replaces', row.replaces ?? undefined);
  setDefined(order, 'certificateSerial', row.certificate_serial ?? undefined);
  setDefined(order, 'error', row.error === null ? undefined : fromJson<ProblemDocument>(row.error));
  return order;
}

/** A `challenges` row as a {@link Challenge}. */
export function toChallenge(row: Selectable<ChallengesTable>): Challenge {
  const challenge: Challenge = {
    id: row.id,
    authorizationId: row.authorization_id,
    type: row.type,
    status: row.status as ChallengeStatus,
    token: row.token,
  };
  setDefined(challenge, 'validatedAt', toOptionalDate(row.validated_at));
  setDefined(challenge, 'error', row.error === null ? undefined : fromJson<ProblemDocument>(row.error));
  setDefined(challenge, 'validationRecord', row.validation_record === null ? undefined : fromJson<unknown[]>(row.validation_record));
  setDefined(challenge, 'processingAt', toOptionalDate(row.processing_at));
  return challenge;
}

/** An `authorizations` row with its challenges (in creation order) as an {@link Authorization}. */
export function toAuthorization(row: Selectable<AuthorizationsTable>, challenges: Challenge[]): Authorization {
  return {
    id: row.id,
    accountId: row.account_id,
    identifier: { type: row.identifier_type as IdentifierType, value: row.identifier_value },
    wildcard: Number(row.wildcard) === 1,
    status: row.status as AuthorizationStatus,
    expires: toDate(row.expires),
    challenges,
    createdAt: toDate(row.created_at),
  };
}

/** A `certificates` row as a {@link CertificateRecord}. */
export function toCertificate(row: Selectable<CertificatesTable>): CertificateRecord {
  const record: CertificateRecord = {
    serial: row.serial,
    issuerId: row.issuer_id,
    state: row.state as CertificateState,
    identifiers: fromJson<Identifier[]>(row.identifiers),
    crlShard: Number(row.crl_shard),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
  setDefined(record, 'accountId', row.account_id ?? undefined);
  setDefined(record, 'orderId', row.order_id ?? undefined);
  setDefined(record, 'profile', row.profile ?? undefined);
  setDefined(record, 'notBefore', toOptionalDate(row.not_before));
  setDefined(record, 'notAfter', toOptionalDate(row.not_after));
  setDefined(record, 'plannedTbs', row.planned_tbs === null ? undefined : toBytes(row.planned_tbs));
  setDefined(record, 'precertificateDer', row.precertificate_der === null ? undefined : toBytes(row.precertificate_der));
  setDefined(record, 'certificateDer', row.certificate_der === null ? undefined : toBytes(row.certificate_der));
  setDefined(record, 'revokedAt', toOptionalDate(row.revoked_at));
  setDefined(record, 'revocationReason', row.revocation_reason === null ? undefined : (Number(row.revocation_reason) as RevocationReason));
  return record;
}

/** A revoked `certificates` row as a {@link Revocation}. */
export function toRevocation(row: Selectable<CertificatesTable>): Revocation {
  if (row.revoked_at === null || row.revocation_reason === null) {
    throw new CertwrightError('serverInternal', `Certificate ${row.serial} is not revoked`);
  }
  const revocation: Revocation = {
    serial: row.serial,
    issuerId: row.issuer_id,
    revokedAt: toDate(row.revoked_at),
    reason: Number(row.revocation_reason) as RevocationReason,
    crlShard: Number(row.crl_shard),
  };
  setDefined(revocation, 'notAfter', toOptionalDate(row.not_after));
  return revocation;
}

/** A `blocked_keys` row as a {@link BlockedKey}. */
export function toBlockedKey(row: Selectable<BlockedKeysTable>): BlockedKey {
  const key: BlockedKey = { spkiSha256: row.spki_sha256, reason: row.reason, addedAt: toDate(row.added_at) };
  setDefined(key, 'sourceSerial', row.source_serial ?? undefined);
  return key;
}
