/**
 * revokeCert (RFC 8555 §7.6), signed either with `kid` — by the account that
 * ordered the certificate, or by one holding valid authorizations for every
 * identifier in it — or with `jwk` equal to the certificate's public key.
 * Reasons follow revocation-reasons.ts. An already revoked certificate is
 * `alreadyRevoked`, except that the certificate key may raise the reason to
 * keyCompromise. keyCompromise adds the key to the blocked-keys table.
 * @module
 */
import { CertwrightError, jwkToSpki, spkiSha256Hex } from '@certwright/core';
import type { Account, Identifier, RevocationReason } from '@certwright/core';
import { decodeBase64urlStrict } from '../jws/index.js';
import type { VerifiedJws } from '../jws/index.js';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { readCertificate, sameBytes } from '../engine/certificate-info.js';
import { findIssued } from '../engine/certificate-lookup.js';
import type { IssuedRecord } from '../engine/certificate-lookup.js';
import { requirePayload, signingAccount, verifyPost } from '../engine/request.js';
import type { ResponseParts } from '../engine/responses.js';
import { authorizationIdentifier } from '../engine/authorization-plan.js';
import { effectiveReason, parseReason } from './revocation-reasons.js';
import type { RevocationAuthority } from './revocation-reasons.js';

async function holdsAuthorization(ctx: EngineContext, account: Account, id: Identifier, now: Date): Promise<boolean> {
  const { identifier, wildcard } = authorizationIdentifier(id);
  const exact = await ctx.store.findReusableAuthorization(account.id, identifier, wildcard, now);
  if (exact !== undefined) return true;
  return (await ctx.store.findReusableAuthorization(account.id, identifier, !wildcard, now)) !== undefined;
}

async function authorityOf(ctx: EngineContext, verified: VerifiedJws<Account>, found: IssuedRecord): Promise<{ authority: RevocationAuthority; account?: Account }> {
  if (verified.account === undefined) {
    let keySpki: Uint8Array;
    try {
      keySpki = jwkToSpki(verified.jwk);
    } catch {
      throw new CertwrightError('unauthorized', 'The JWS key is not the certificate key');
    }
    if (!sameBytes(keySpki, found.info.spki)) throw new CertwrightError('unauthorized', "The JWS 'jwk' is not the certificate's public key; sign with the certificate key or with an authorized account (RFC 8555 §7.6)");
    return { authority: 'certificateKey' };
  }
  const account = signingAccount(verified);
  if (found.record.accountId === account.id) return { authority: 'issuingAccount', account };
  const now = ctx.clock.now();
  const missing: string[] = [];
  for (const id of found.record.identifiers) if (!(await holdsAuthorization(ctx, account, id, now))) missing.push(id.value);
  if (missing.length > 0) throw new CertwrightError('unauthorized', `The account did not order this certificate and holds no valid authorization for: ${missing.join(', ')} (RFC 8555 §7.6)`);
  return { authority: 'authorizedAccount', account };
}

async function rerevokeForKeyCompromise(ctx: EngineContext, found: IssuedRecord, reason: RevocationReason, authority: RevocationAuthority): Promise<boolean> {
  const current = found.record.revocationReason;
  if (reason !== 1 || authority !== 'certificateKey' || current === undefined || current === 1) return false;
  return (await ctx.store.updateRevocationReason(found.record.serial, current, 1)) !== undefined;
}

/** POST revokeCert, signed with `kid` or `jwk`. */
export async function revokeCert(ctx: EngineContext, req: AcmeRequest, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'either');
  const payload = requirePayload(verified, 'revokeCert');
  const certText = payload['certificate'];
  if (typeof certText !== 'string' || certText === '') throw new CertwrightError('malformed', "'certificate' must be the base64url DER certificate (RFC 8555 §7.6)");
  const der = decodeBase64urlStrict(certText);
  if (der === undefined) throw new CertwrightError('malformed', "'certificate' is not strict base64url");
  const requested = parseReason(payload['reason']);
  const info = readCertificate(der, 'certificate to revoke');
  const found = await findIssued(ctx, info.serialHex);
  if (found === undefined || !sameBytes(found.record.certificateDer, der)) throw new CertwrightError('notFound', 'This CA issued no such certificate');
  const { authority, account } = await authorityOf(ctx, verified, found);
  if (account !== undefined) log['account'] = account.id;
  const reason = effectiveReason(requested, authority);
  const now = ctx.clock.now();
  if (found.record.revokedAt !== undefined) {
    if (!(await rerevokeForKeyCompromise(ctx, found, reason, authority))) throw new CertwrightError('alreadyRevoked', `The certificate ${found.record.serial} is already revoked`);
  } else {
    const revoked = await ctx.store.revoke(found.record.serial, reason, now);
    if (revoked === undefined) throw new CertwrightError('alreadyRevoked', `The certificate ${found.record.serial} is already revoked`);
  }
  if (reason === 1) {
    await ctx.store.addBlockedKey({ spkiSha256: spkiSha256Hex(found.info.spki), reason: 'keyCompromise', addedAt: now, sourceSerial: found.record.serial });
  }
  log['serial'] = found.record.serial;
  ctx.logger({ level: 'info', event: 'acme.certificate.revoked', serial: found.record.serial, reason, authority, account: account?.id });
  return { status: 200, headers: {}, body: undefined };
}
