/**
 * JSON representations of ACME objects (RFC 8555 §7.1.2–7.1.5).
 * @module
 */
import type { Account, Authorization, Challenge, Order } from '@certwright/core';
import type { AcmeUrls } from './urls.js';

/** The account object (RFC 8555 §7.1.2). */
export function accountView(account: Account, urls: AcmeUrls): Record<string, unknown> {
  return {
    status: account.status,
    contact: account.contact,
    termsOfServiceAgreed: account.termsOfServiceAgreed,
    orders: urls.orders(account.id),
    createdAt: account.createdAt.toISOString(),
  };
}

/** The order object (RFC 8555 §7.1.3); `profile` and `replaces` per draft-ietf-acme-profiles and RFC 9773 §5. */
export function orderView(order: Order, urls: AcmeUrls): Record<string, unknown> {
  const view: Record<string, unknown> = {
    status: order.status,
    expires: order.expires.toISOString(),
    identifiers: order.identifiers.map((id) => ({ type: id.type, value: id.value })),
    authorizations: order.authorizationIds.map((id) => urls.authorization(id)),
    finalize: urls.finalize(order.id),
  };
  if (order.notBefore !== undefined) view['notBefore'] = order.notBefore.toISOString();
  if (order.notAfter !== undefined) view['notAfter'] = order.notAfter.toISOString();
  if (order.profile !== undefined) view['profile'] = order.profile;
  if (order.replaces !== undefined) view['replaces'] = order.replaces;
  if (order.status === 'valid' && order.certificateSerial !== undefined) view['certificate'] = urls.certificate(order.certificateSerial);
  if (order.error !== undefined) view['error'] = order.error;
  return view;
}

/** The challenge object (RFC 8555 §7.1.5, §8). */
export function challengeView(challenge: Challenge, urls: AcmeUrls): Record<string, unknown> {
  const view: Record<string, unknown> = {
    type: challenge.type,
    url: urls.challenge(challenge.id),
    status: challenge.status,
    token: challenge.token,
  };
  if (challenge.validatedAt !== undefined) view['validated'] = challenge.validatedAt.toISOString();
  if (challenge.error !== undefined) view['error'] = challenge.error;
  return view;
}

/** The authorization object (RFC 8555 §7.1.4), with the status and expiry as of now (see `effectiveAuthorization`). */
export function authorizationView(authorization: Authorization, urls: AcmeUrls): Record<string, unknown> {
  const view: Record<string, unknown> = {
    identifier: { type: authorization.identifier.type, value: authorization.identifier.value },
    status: authorization.status,
    expires: authorization.expires.toISOString(),
    challenges: authorization.challenges.map((c) => challengeView(c, urls)),
  };
  if (authorization.wildcard) view['wildcard'] = true;
  return view;
}
