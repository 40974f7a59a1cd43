/**
 * Certificate download (RFC 8555 §7.4.2): POST-as-GET by the account that
 * ordered it, as `application/pem-certificate-chain` (leaf first, then the
 * issuer chain). Alternate chains are served at `<cert>/<n>` and linked
 * with `rel="alternate"` from every variant.
 * @module
 */
import { CertwrightError, toPem } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { findIssued } from '../engine/certificate-lookup.js';
import { requireOwner, requirePostAsGet, signingAccount, verifyPost } from '../engine/request.js';
import { link } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';

/** POST-as-GET to a certificate URL, signed with `kid`. */
export async function getCertificate(ctx: EngineContext, req: AcmeRequest, serial: string, alternate: number, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  requirePostAsGet(verified, 'certificate');
  const found = await findIssued(ctx, serial);
  if (found === undefined) throw new CertwrightError('notFound', 'No such certificate');
  requireOwner(found.record.accountId, account, 'certificate');
  const chains = ctx.options.chains(found.record.issuerId);
  if (chains === undefined) throw new CertwrightError('serverInternal', `No chain is configured for issuer ${found.record.issuerId}`);
  const chain = alternate === 0 ? chains.chain : chains.alternateChains[alternate - 1];
  if (chain === undefined) throw new CertwrightError('notFound', 'No such alternate chain');
  const links: string[] = [];
  for (let n = 0; n <= chains.alternateChains.length; n++) if (n !== alternate) links.push(link(ctx.urls.certificate(serial, n), 'alternate'));
  const pem = [found.record.certificateDer, ...chain].map((der) => toPem(der, 'CERTIFICATE')).join('');
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/pem-certificate-chain' };
  if (links.length > 0 && chains.alternateChains.length > 0) headers['Link'] = links;
  return { status: 200, headers, body: pem };
}
