import type { EngineContext } from '../engine/context.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';

/** The directory object (RFC 8555 §7.1.1), with `renewalInfo` (RFC 9773 §3) and `meta.profiles` (draft-ietf-acme-profiles). */
export function directoryBody(ctx: EngineContext): Record<string, unknown> {
  const { urls } = ctx;
  const meta: Record<string, unknown> = {};
  const m = ctx.options.meta ?? {};
  if (m.termsOfService !== undefined) meta['termsOfService'] = m.termsOfService;
  if (m.website !== undefined) meta['website'] = m.website;
  if (m.caaIdentities !== undefined) meta['caaIdentities'] = [...m.caaIdentities];
  meta['externalAccountRequired'] = m.externalAccountRequired ?? false;
  if (ctx.profiles.size > 0) meta['profiles'] = Object.fromEntries([...ctx.profiles.values()].map((p) => [p.name, p.description]));
  const body: Record<string, unknown> = {
    newNonce: urls.newNonce,
    newAccount: urls.newAccount,
    newOrder: urls.newOrder,
    revokeCert: urls.revokeCert,
    keyChange: urls.keyChange,
    renewalInfo: urls.renewalInfo,
    meta,
  };
  if (ctx.options.preAuthorization) body['newAuthz'] = urls.newAuthz;
  return body;
}

/** GET directory. */
export async function getDirectory(ctx: EngineContext): Promise<ResponseParts> {
  return jsonResponse(200, directoryBody(ctx));
}
