/**
 * Dispatch of a parsed route to its resource, with the methods each
 * resource allows (others → 405 with `Allow`).
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { EngineContext } from './context.js';
import type { AcmeRequest } from './http-types.js';
import type { ResponseParts } from './responses.js';
import type { Route } from './urls.js';
import { getDirectory } from '../resources/directory.js';
import { newNonce } from '../resources/new-nonce.js';
import { newAccount } from '../resources/new-account.js';
import { postAccount } from '../resources/account.js';
import { listOrders } from '../resources/orders-list.js';
import { keyChange } from '../resources/key-change.js';
import { newOrder } from '../resources/new-order.js';
import { newAuthz } from '../resources/new-authz.js';
import { getOrder } from '../resources/order.js';
import { postAuthorization } from '../resources/authorization.js';
import { postChallenge } from '../resources/challenge.js';
import { finalizeOrder } from '../resources/finalize.js';
import { getCertificate } from '../resources/certificate.js';
import { revokeCert } from '../resources/revoke-cert.js';
import { getRenewalInfo } from '../resources/renewal-info.js';

/** The methods a route accepts (HEAD wherever GET is, answered without a body). */
export function allowedMethods(route: Route): readonly string[] {
  switch (route.kind) {
    case 'directory':
    case 'renewalInfo':
      return ['GET', 'HEAD'];
    case 'newNonce':
      return ['HEAD', 'GET'];
    default:
      return ['POST'];
  }
}

/** Runs the resource for `route`; the method must already be allowed. */
export function dispatch(ctx: EngineContext, route: Route, req: AcmeRequest, method: string, log: Record<string, unknown>): Promise<ResponseParts> {
  switch (route.kind) {
    case 'directory':
      return getDirectory(ctx);
    case 'newNonce':
      return newNonce(method === 'HEAD' ? 'HEAD' : 'GET');
    case 'newAccount':
      return newAccount(ctx, req, log);
    case 'account':
      return postAccount(ctx, req, route.id, log);
    case 'orders':
      return listOrders(ctx, req, route.id, route.cursor, log);
    case 'keyChange':
      return keyChange(ctx, req, log);
    case 'newOrder':
      return newOrder(ctx, req, log);
    case 'newAuthz':
      if (!ctx.options.preAuthorization) throw new CertwrightError('notFound', 'This server does not offer pre-authorization');
      return newAuthz(ctx, req, log);
    case 'order':
      return getOrder(ctx, req, route.id, log);
    case 'finalize':
      return finalizeOrder(ctx, req, route.id, log);
    case 'authorization':
      return postAuthorization(ctx, req, route.id, log);
    case 'challenge':
      return postChallenge(ctx, req, route.id, log);
    case 'certificate':
      return getCertificate(ctx, req, route.serial, route.alternate, log);
    case 'revokeCert':
      return revokeCert(ctx, req, log);
    case 'renewalInfo':
      return getRenewalInfo(ctx, route.certId);
  }
}
