/**
 * The tls-alpn-01 validator (RFC 8737; RFC 8738 §6 for IP identifiers):
 * resolve the name once, check the addresses against the connection
 * policy, handshake with a checked address on the configured port (443 by
 * default) negotiating `acme-tls/1`, and check the presented certificate.
 *
 * Problems: `dns`, `connection` (policy refusal, connect failure, timeout),
 * `tls` (handshake failure, `acme-tls/1` not negotiated),
 * `incorrectResponse` (the certificate breaks a rule of RFC 8737 §3).
 * @module
 */
import type { ChallengeType, IdentifierType } from '@certwright/core';
import type { Validator } from '../engine/validator.js';
import { checkAcmeTlsCertificate } from './acme-tls-certificate.js';
import { acmeTlsHandshake } from './acme-tls-handshake.js';
import type { ConnectionPolicy } from './connection-policy.js';
import { withDeadline } from './deadline.js';
import { dialInOrder } from './dial-fallback.js';
import type { DnsResolver } from './dns-resolver.js';
import { reverseDnsName } from './reverse-dns-name.js';
import { resolveTargetAddresses } from './target-addresses.js';
import type { FamilyPreference } from './target-addresses.js';
import { validateWithCaa } from './validator-caa.js';
import type { ValidationRequest, ValidatorCaaOptions } from './validator-caa.js';

/** Options of {@link tlsAlpn01Validator}. */
export interface TlsAlpn01ValidatorOptions {
  readonly resolver: DnsResolver;
  readonly policy: ConnectionPolicy;
  /** Limit for the whole validation (default 20 000 ms). */
  readonly timeoutMs?: number;
  /** Limit for each connection and handshake (default 5000 ms). */
  readonly handshakeTimeoutMs?: number;
  /** Which address family to dial first (default `ipv6-first`). */
  readonly familyPreference?: FamilyPreference;
  /** Check CAA as part of validation. */
  readonly caa?: ValidatorCaaOptions;
}

/** Creates the tls-alpn-01 validator. */
export function tlsAlpn01Validator(options: TlsAlpn01ValidatorOptions): Validator {
  const port = options.policy.ports.tlsAlpn01;
  const run = async (input: ValidationRequest): Promise<unknown[]> => {
    const { identifier } = input;
    const serverName = identifier.type === 'ip' ? reverseDnsName(identifier.value) : identifier.value;
    const targets = await resolveTargetAddresses(identifier.value, options.resolver, options.policy, options.familyPreference);
    const { result, attempts } = await dialInOrder(targets.dialOrder, (address) =>
      acmeTlsHandshake({ address, port, serverName, timeoutMs: options.handshakeTimeoutMs ?? 5000 }),
    );
    await checkAcmeTlsCertificate(result.certificate, identifier, input.keyAuthorization);
    return [
      {
        hostname: identifier.value,
        port,
        serverName,
        addressesResolved: targets.resolved,
        addressUsed: attempts[attempts.length - 1]!.address,
        addressesTried: attempts,
        tlsVersion: result.tlsVersion,
      },
    ];
  };
  return {
    type: 'tls-alpn-01' satisfies ChallengeType,
    identifierTypes: ['dns', 'ip'] satisfies IdentifierType[],
    validate: (input: ValidationRequest) =>
      withDeadline(validateWithCaa('tls-alpn-01', input, options.resolver, options.caa, () => run(input)), options.timeoutMs ?? 20_000, `tls-alpn-01 validation of ${input.identifier.value}`),
  };
}
