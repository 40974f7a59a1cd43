import { cryptoRandom, randomId } from '../../src/random.js';
import type { Identifier } from '../../src/identifier.js';
import type { NewAccount, NewAuthorization, NewOrder, SerialReservation } from '../../src/store/types.js';

/** Builders of store inputs for the store contract suite. Times are offsets from a fixed {@link BASE}. */

const random = cryptoRandom();

/** The fixed base instant of the contract suite (whole seconds, so every backend stores it exactly). */
export const BASE = new Date('2026-03-01T12:00:00.000Z');

/** BASE moved by `seconds`. */
export function at(seconds: number): Date {
  return new Date(BASE.getTime() + seconds * 1000);
}

/** One hour, in seconds, for {@link at}. */
export const H = 3600;
/** One day, in seconds, for {@link at}. */
export const D = 24 * H;

/** A fresh random id (128 bits, base64url). */
export function newId(): string {
  return randomId(random);
}

/** A fresh random positive serial: 16 octets, lowercase hex, first octet in 0x10–0x7f (fixed length of 32). */
export function newSerial(): string {
  const bytes = random.bytes(16);
  bytes[0] = 0x10 + (bytes[0]! % 0x70);
  return Buffer.from(bytes).toString('hex');
}

/** A DNS identifier. */
export function dns(value: string): Identifier {
  return { type: 'dns', value };
}

/** A new account with a fresh id, key and thumbprint. */
export function newAccount(overrides: Partial<NewAccount> = {}): NewAccount {
  const x = newId();
  return {
    id: newId(),
    jwk: { kty: 'EC', crv: 'P-256', x, y: newId() },
    thumbprint: `tp-${x}`,
    contact: ['mailto:admin@example.com'],
    termsOfServiceAgreed: true,
    createdAt: at(0),
    ...overrides,
  };
}

/**
 * A new authorization for an order identifier as requested (`*.example.com`
 * becomes a wildcard authorization of `example.com`), with an http-01 and a
 * dns-01 challenge (only dns-01 for wildcards).
 */
export function newAuthorization(accountId: string, requested: Identifier, overrides: Partial<NewAuthorization> = {}): NewAuthorization {
  const wildcard = requested.type === 'dns' && requested.value.startsWith('*.');
  const identifier: Identifier = wildcard ? { type: 'dns', value: requested.value.slice(2) } : requested;
  const types = wildcard ? ['dns-01'] : ['http-01', 'dns-01'];
  return {
    id: newId(),
    accountId,
    identifier,
    wildcard,
    status: 'pending',
    expires: at(7 * D),
    createdAt: at(0),
    challenges: types.map((type) => ({ id: newId(), type, token: newId() })),
    ...overrides,
  };
}

/** A new pending order for `names` (DNS), with one new authorization per name. */
export function newOrderWithAuthorizations(
  accountId: string,
  names: string[],
  overrides: Partial<NewOrder> = {},
): { order: NewOrder; authorizations: NewAuthorization[] } {
  const identifiers = names.map(dns);
  const order: NewOrder = {
    id: newId(),
    accountId,
    identifiers,
    expires: at(7 * D),
    createdAt: at(0),
    status: 'pending',
    ...overrides,
  };
  return { order, authorizations: identifiers.map((i) => newAuthorization(accountId, i)) };
}

/** A serial reservation for issuer `issuerId`. */
export function newReservation(issuerId: string, overrides: Partial<SerialReservation> = {}): SerialReservation {
  return {
    serial: newSerial(),
    issuerId,
    identifiers: [dns('www.example.com')],
    crlShard: 0,
    createdAt: at(0),
    ...overrides,
  };
}

/** Some bytes standing in for DER. */
export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}
