/**
 * newAuthz pre-authorization (RFC 8555 §7.4.1), offered only when
 * `preAuthorization` is enabled (otherwise the URL is unknown, 404). A
 * wildcard cannot be pre-authorized (§7.4.1: the identifier is exactly the
 * authorization's) → `malformed`.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { buildAuthorization, challengeTypesFor } from '../engine/authorization-plan.js';
import { requirePayload, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { currentAuthorization } from '../engine/state.js';
import { authorizationView } from '../engine/views.js';

/** POST newAuthz, signed with `kid`. */
export async function newAuthz(ctx: EngineContext, req: AcmeRequest, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const payload = requirePayload(verified, 'newAuthz');
  const requested = payload['identifier'];
  if (typeof requested !== 'object' || requested === null || Array.isArray(requested)) throw new CertwrightError('malformed', "'identifier' must be an identifier object (RFC 8555 §7.4.1)");
  const value = (requested as Record<string, unknown>)['value'];
  if (typeof value === 'string' && value.startsWith('*.')) throw new CertwrightError('malformed', 'A wildcard identifier cannot be pre-authorized; request it in a newOrder (RFC 8555 §7.4.1)');
  const [identifier] = await ctx.identifierPolicy.check([requested as Parameters<typeof ctx.identifierPolicy.check>[0][number]]);
  if (identifier === undefined) throw new CertwrightError('malformed', "'identifier' is empty");
  const types = challengeTypesFor(ctx, identifier, false);
  if (types.length === 0) throw new CertwrightError('rejectedIdentifier', `No challenge type this server offers can validate ${identifier.value}`);
  const created = await ctx.store.createAuthorization(buildAuthorization(ctx, account.id, identifier, false, types, ctx.clock.now()));
  log['authorization'] = created.id;
  const view = await currentAuthorization(ctx, created);
  return jsonResponse(201, authorizationView(view, ctx.urls), { location: ctx.urls.authorization(created.id) });
}
