/**
 * The hostile-request table: malformed and adversarial requests across every
 * resource. Each row asserts the HTTP status, the problem type, a detail
 * naming the rule, and that the store saw no state-changing write.
 */
import { FlattenedSign } from 'jose';
import { buildCsr, softwareSignerFromKeyObject } from '@certwright/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AcmeResponse } from '../../src/engine/index.js';
import { certIdOf, readCertificate } from '../../src/engine/certificate-info.js';
import { BASE, TestClient, URL_OF, dns, ip, jsonBody, makeCa, makeCsr, newKey, sign, signRaw } from './helpers.js';
import type { ClientKey, TestCa } from './helpers.js';

interface Env {
  ca: TestCa;
  a: TestClient;
  b: TestClient;
  /** An account that deactivated itself (RFC 8555 §7.3.6). */
  gone: TestClient;
  pendingOrder: Record<string, unknown>;
  pendingOrderUrl: string;
  pendingAuthzUrl: string;
  challengeUrl: string;
  readyOrder: Record<string, unknown>;
  certDer: Uint8Array;
  certUrl: string;
}

const JOSE = { 'content-type': 'application/jose+json' };
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const b64 = (v: Uint8Array | string): string => Buffer.from(v).toString('base64url');

async function nonce(env: Env): Promise<string> {
  return env.a.fetchNonce();
}

/** A JWS for `url` signed by `key` with `header` (defaults: the key's kid or jwk, a fresh nonce, the url). */
async function jws(env: Env, url: string, payload: unknown, opts: { key?: ClientKey; header?: Record<string, unknown>; kid?: string | null } = {}): Promise<AcmeResponse> {
  const key = opts.key ?? env.a.key;
  const kid = opts.kid === undefined ? env.a.kid : opts.kid;
  const base: Record<string, unknown> = kid === null ? { jwk: key.jwk } : { kid };
  const body = await sign(key, { ...base, nonce: await nonce(env), url, ...opts.header }, payload);
  return env.ca.server.handle({ method: 'POST', url, headers: JOSE, body: enc(body) });
}

function asB(env: Env, url: string, payload: unknown): Promise<AcmeResponse> {
  return jws(env, url, payload, { key: env.b.key, kid: env.b.kid! });
}

interface Row {
  name: string;
  status: number;
  type: string;
  detail: RegExp;
  run: (env: Env) => Promise<AcmeResponse>;
}

const rows: Row[] = [
  // ---- JWS (RFC 8555 §6.2–6.5) ----
  { name: 'wrong Content-Type', status: 415, type: 'malformed', detail: /application\/jose\+json/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: { 'content-type': 'application/json' }, body: enc(await sign(e.a.key, { kid: e.a.kid, nonce: await nonce(e), url: URL_OF.newOrder }, { identifiers: [dns('x.example.com')] })) }) },
  { name: 'body is not JSON', status: 400, type: 'malformed', detail: /JSON/, run: (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc('{not json') }) },
  { name: 'empty body', status: 400, type: 'malformed', detail: /./, run: (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: undefined }) },
  { name: 'JWS with an extra member', status: 400, type: 'malformed', detail: /header|member/i, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc({ ...(await sign(e.a.key, { kid: e.a.kid, nonce: await nonce(e), url: URL_OF.newOrder }, {})), header: {} }) }) },
  { name: 'alg none', status: 400, type: 'badSignatureAlgorithm', detail: /none/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc({ protected: b64(JSON.stringify({ alg: 'none', kid: e.a.kid, nonce: await nonce(e), url: URL_OF.newOrder })), payload: b64('{}'), signature: '' }) }) },
  { name: 'alg HS256 on a request', status: 400, type: 'badSignatureAlgorithm', detail: /HS256/, run: async (e) => {
    const j = await new FlattenedSign(enc({})).setProtectedHeader({ alg: 'HS256', kid: e.a.kid!, nonce: await nonce(e), url: URL_OF.newOrder }).sign(new Uint8Array(32));
    return e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc(j) });
  } },
  { name: 'both jwk and kid', status: 400, type: 'malformed', detail: /both 'jwk' and 'kid'/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { header: { jwk: e.a.key.jwk } }) },
  { name: 'kid of an unknown account', status: 400, type: 'accountDoesNotExist', detail: /No account exists/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { kid: `${BASE}/acct/nobody` }) },
  { name: 'kid of another server', status: 400, type: 'malformed', detail: /not an account URL of this server/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { kid: 'https://evil.example/acme/acct/1' }) },
  { name: 'signature by another key than the account key', status: 400, type: 'malformed', detail: /signature/i, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { key: newKey() }) },
  { name: 'tampered payload', status: 400, type: 'malformed', detail: /signature/i, run: async (e) => {
    const j = await sign(e.a.key, { kid: e.a.kid, nonce: await nonce(e), url: URL_OF.newOrder }, { identifiers: [dns('a.example.com')] });
    return e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc({ ...j, payload: b64(JSON.stringify({ identifiers: [dns('b.example.com')] })) }) });
  } },
  { name: 'no nonce', status: 400, type: 'badNonce', detail: /no 'nonce'/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc(await sign(e.a.key, { kid: e.a.kid, url: URL_OF.newOrder }, {})) }) },
  { name: 'nonce this server never issued', status: 400, type: 'badNonce', detail: /unknown, expired or already used/, run: (e) => jws(e, URL_OF.newOrder, {}, { header: { nonce: b64(new Uint8Array(16).fill(1)) } }) },
  { name: 'replayed nonce', status: 400, type: 'badNonce', detail: /unknown, expired or already used/, run: async (e) => {
    const n = await nonce(e);
    const first = await sign(e.a.key, { kid: e.a.kid, nonce: n, url: e.a.kid }, '');
    await e.ca.server.handle({ method: 'POST', url: e.a.kid!, headers: JOSE, body: enc(first) });
    return e.ca.server.handle({ method: 'POST', url: e.a.kid!, headers: JOSE, body: enc(first) });
  } },
  { name: 'expired nonce', status: 400, type: 'badNonce', detail: /unknown, expired or already used/, run: async (e) => {
    const n = await nonce(e);
    e.ca.clock.advance(2 * 3600_000);
    try {
      return await jws(e, URL_OF.newOrder, {}, { header: { nonce: n } });
    } finally {
      e.ca.clock.advance(-2 * 3600_000);
    }
  } },
  { name: 'url header differs from the request URL', status: 403, type: 'unauthorized', detail: /does not match the request URL/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc(await sign(e.a.key, { kid: e.a.kid, nonce: await nonce(e), url: URL_OF.revokeCert }, { identifiers: [dns('x.example.com')] })) }) },
  { name: 'no url header', status: 400, type: 'malformed', detail: /no 'url'/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc(await sign(e.a.key, { kid: e.a.kid, nonce: await nonce(e) }, {})) }) },
  { name: 'jwk on a kid-only resource', status: 400, type: 'malformed', detail: /requires a JWS with 'kid'/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { kid: null }) },
  { name: 'kid on newAccount', status: 400, type: 'malformed', detail: /requires a JWS with 'jwk'/, run: (e) => jws(e, URL_OF.newAccount, { termsOfServiceAgreed: true }) },
  { name: 'payload is a JSON array', status: 400, type: 'malformed', detail: /object/, run: (e) => jws(e, URL_OF.newOrder, [1, 2]) },
  { name: 'crit header', status: 400, type: 'malformed', detail: /crit/, run: async (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.newOrder, headers: JOSE, body: enc(signRaw(e.a.key, { kid: e.a.kid, nonce: await nonce(e), url: URL_OF.newOrder, crit: ['exp'], exp: 1 }, {})) }) },
  // ---- routing ----
  { name: 'unknown path', status: 404, type: 'malformed', detail: /No ACME resource/, run: (e) => e.ca.server.handle({ method: 'GET', url: `${BASE}/admin`, headers: {}, body: undefined }) },
  { name: 'another origin', status: 404, type: 'malformed', detail: /No ACME resource/, run: (e) => e.ca.server.handle({ method: 'GET', url: 'https://other.example/acme/directory', headers: {}, body: undefined }) },
  { name: 'GET on newOrder', status: 405, type: 'malformed', detail: /GET is not allowed/, run: (e) => e.ca.server.handle({ method: 'GET', url: URL_OF.newOrder, headers: {}, body: undefined }) },
  { name: 'POST on the directory', status: 405, type: 'malformed', detail: /POST is not allowed/, run: (e) => e.ca.server.handle({ method: 'POST', url: URL_OF.directory, headers: JOSE, body: enc('{}') }) },
  { name: 'query string on an order URL', status: 404, type: 'malformed', detail: /No ACME resource/, run: (e) => jws(e, `${e.pendingOrderUrl}?x=1`, '') },
  // ---- accounts ----
  { name: 'newAccount as POST-as-GET', status: 400, type: 'malformed', detail: /needs a JSON object payload/, run: (e) => jws(e, URL_OF.newAccount, '', { key: newKey(), kid: null }) },
  { name: 'newAccount with a tel: contact', status: 400, type: 'unsupportedContact', detail: /not a mailto: URL/, run: (e) => jws(e, URL_OF.newAccount, { termsOfServiceAgreed: true, contact: ['tel:+15551234'] }, { key: newKey(), kid: null }) },
  { name: 'newAccount without agreeing to the terms', status: 400, type: 'malformed', detail: /terms of service/, run: (e) => jws(e, URL_OF.newAccount, { contact: [] }, { key: newKey(), kid: null }) },
  { name: 'newAccount termsOfServiceAgreed as a string', status: 400, type: 'malformed', detail: /'termsOfServiceAgreed' must be a boolean/, run: (e) => jws(e, URL_OF.newAccount, { termsOfServiceAgreed: 'yes' }, { key: newKey(), kid: null }) },
  { name: 'newAccount with an unknown EAB key id', status: 403, type: 'unauthorized', detail: /not known to this server/, run: async (e) => {
    const key = newKey();
    const eab = await new FlattenedSign(enc(key.jwk)).setProtectedHeader({ alg: 'HS256', kid: 'ghost', url: URL_OF.newAccount }).sign(new Uint8Array(32));
    return jws(e, URL_OF.newAccount, { termsOfServiceAgreed: true, externalAccountBinding: eab }, { key, kid: null });
  } },
  { name: "update of another account's URL", status: 403, type: 'unauthorized', detail: /account URL does not belong/, run: (e) => asB(e, e.a.kid!, { contact: ['mailto:evil@example.com'] }) },
  { name: 'newOrder by a deactivated account', status: 401, type: 'unauthorized', detail: /is deactivated/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')] }, { key: e.gone.key, kid: e.gone.kid! }) },
  { name: 'POST-as-GET of its own account by a deactivated account', status: 401, type: 'unauthorized', detail: /is deactivated/, run: (e) => jws(e, e.gone.kid!, '', { key: e.gone.key, kid: e.gone.kid! }) },
  { name: 'newAccount with the key of a deactivated account', status: 401, type: 'unauthorized', detail: /is deactivated/, run: (e) => jws(e, URL_OF.newAccount, { onlyReturnExisting: true }, { key: e.gone.key, kid: null }) },
  { name: 'account status set to valid', status: 400, type: 'malformed', detail: /only be set to "deactivated"/, run: (e) => jws(e, e.a.kid!, { status: 'valid' }) },
  { name: 'keyChange whose oldKey is not the account key', status: 400, type: 'malformed', detail: /'oldKey' is not the account's current key/, run: async (e) => {
    const next = newKey();
    return jws(e, URL_OF.keyChange, await sign(next, { jwk: next.jwk, url: URL_OF.keyChange }, { account: e.a.kid, oldKey: e.b.key.jwk }));
  } },
  { name: "keyChange to another account's key", status: 409, type: 'malformed', detail: /already belongs to an account/, run: async (e) => jws(e, URL_OF.keyChange, await sign(e.b.key, { jwk: e.b.key.jwk, url: URL_OF.keyChange }, { account: e.a.kid, oldKey: e.a.key.jwk })) },
  { name: 'keyChange inner JWS for another URL', status: 403, type: 'unauthorized', detail: /differs from the outer JWS 'url'/, run: async (e) => {
    const next = newKey();
    return jws(e, URL_OF.keyChange, await sign(next, { jwk: next.jwk, url: URL_OF.newOrder }, { account: e.a.kid, oldKey: e.a.key.jwk }));
  } },
  { name: 'orders list with a forged cursor', status: 400, type: 'malformed', detail: /Invalid page cursor/, run: (e) => jws(e, `${e.a.kid}/orders?cursor=bm9wZQ`, '') },
  // ---- orders ----
  { name: 'newOrder with no identifiers', status: 400, type: 'malformed', detail: /non-empty array/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [] }) },
  { name: 'newOrder identifiers as an object', status: 400, type: 'malformed', detail: /non-empty array/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: { type: 'dns', value: 'x.example.com' } }) },
  { name: 'newOrder with an email identifier', status: 400, type: 'unsupportedIdentifier', detail: /"email" is not supported/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [{ type: 'email', value: 'a@example.com' }] }) },
  { name: 'newOrder for a public suffix', status: 400, type: 'rejectedIdentifier', detail: /public suffix/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('co.uk')] }) },
  { name: 'newOrder for an IP outside the allowed ranges', status: 400, type: 'rejectedIdentifier', detail: /192\.0\.2\.1/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [ip('192.0.2.1')] }) },
  { name: 'newOrder with a malformed DNS name', status: 400, type: 'malformed', detail: /exa mple/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('exa mple.com')] }) },
  { name: 'newOrder with an unknown profile', status: 400, type: 'invalidProfile', detail: /"gold" is not offered/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], profile: 'gold' }) },
  { name: 'newOrder notAfter not RFC 3339', status: 400, type: 'malformed', detail: /'notAfter' must be an RFC 3339/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], notAfter: 'next tuesday' }) },
  { name: 'newOrder notBefore in the past', status: 400, type: 'malformed', detail: /'notBefore' .* is in the past/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], notBefore: '2020-01-01T00:00:00Z' }) },
  { name: 'newOrder notAfter before notBefore', status: 400, type: 'malformed', detail: /'notAfter' .* is not after 'notBefore'/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], notBefore: '2026-03-03T00:00:00Z', notAfter: '2026-03-02T00:00:00Z' }) },
  { name: 'newOrder replaces garbage', status: 400, type: 'malformed', detail: /Invalid ARI certificate id/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], replaces: 'garbage' }) },
  { name: 'newOrder replaces an unknown certificate', status: 400, type: 'malformed', detail: /names no certificate issued by this CA/, run: (e) => jws(e, URL_OF.newOrder, { identifiers: [dns('x.example.com')], replaces: 'AAAA.AQ' }) },
  { name: "newOrder replaces another account's certificate", status: 403, type: 'unauthorized', detail: /not issued to the requesting account/, run: (e) => asB(e, URL_OF.newOrder, { identifiers: [dns('hostile.example.com')], replaces: certIdOf(readCertificate(e.certDer, 't')) }) },
  { name: "order fetched by another account", status: 403, type: 'unauthorized', detail: /order does not belong/, run: (e) => asB(e, e.pendingOrderUrl, '') },
  { name: 'order fetched with a payload', status: 400, type: 'malformed', detail: /POST-as-GET/, run: (e) => jws(e, e.pendingOrderUrl, { status: 'ready' }) },
  { name: 'unknown order', status: 404, type: 'malformed', detail: /No such order/, run: (e) => jws(e, `${BASE}/order/doesnotexist`, '') },
  // ---- authorizations ----
  { name: 'authorization fetched by another account', status: 403, type: 'unauthorized', detail: /authorization does not belong/, run: (e) => asB(e, e.pendingAuthzUrl, '') },
  { name: 'authorization status set to valid', status: 400, type: 'malformed', detail: /only be set to "deactivated"/, run: (e) => jws(e, e.pendingAuthzUrl, { status: 'valid' }) },
  { name: 'authorization deactivated by another account', status: 403, type: 'unauthorized', detail: /authorization does not belong/, run: (e) => asB(e, e.pendingAuthzUrl, { status: 'deactivated' }) },
  { name: 'newAuthz for a wildcard', status: 400, type: 'malformed', detail: /wildcard identifier cannot be pre-authorized/, run: (e) => jws(e, URL_OF.newAuthz, { identifier: dns('*.example.com') }) },
  { name: 'newAuthz without identifier', status: 400, type: 'malformed', detail: /'identifier' must be an identifier object/, run: (e) => jws(e, URL_OF.newAuthz, { identifiers: [dns('x.example.com')] }) },
  // ---- challenges ----
  { name: 'challenge answered by another account', status: 403, type: 'unauthorized', detail: /challenge does not belong/, run: (e) => asB(e, e.challengeUrl, {}) },
  { name: 'unknown challenge', status: 404, type: 'malformed', detail: /No such challenge/, run: (e) => jws(e, `${BASE}/chall/nothing`, {}) },
  // ---- finalize ----
  { name: 'finalize of a pending order', status: 403, type: 'orderNotReady', detail: /is pending, not ready/, run: async (e) => jws(e, String(e.pendingOrder['finalize']), { csr: b64((await makeCsr([dns('pending.example.com')])).csr) }) },
  { name: 'finalize without csr', status: 400, type: 'malformed', detail: /needs 'csr'/, run: (e) => jws(e, String(e.readyOrder['finalize']), {}) },
  { name: 'finalize with a csr that is not base64url', status: 400, type: 'badCSR', detail: /not strict base64url/, run: (e) => jws(e, String(e.readyOrder['finalize']), { csr: 'MII+/==' }) },
  { name: 'finalize with a csr that is not DER', status: 400, type: 'badCSR', detail: /./, run: (e) => jws(e, String(e.readyOrder['finalize']), { csr: b64('not a csr') }) },
  { name: 'finalize with a CSR for other names', status: 400, type: 'badCSR', detail: /other\.example\.com/, run: async (e) => jws(e, String(e.readyOrder['finalize']), { csr: b64((await makeCsr([dns('other.example.com')])).csr) }) },
  { name: 'finalize with a CSR signed by the account key', status: 400, type: 'badCSR', detail: /account/i, run: async (e) => jws(e, String(e.readyOrder['finalize']), { csr: b64(await buildCsr({ signer: softwareSignerFromKeyObject(e.a.key.privateKey), identifiers: [dns('ready.example.com')] })) }) },
  { name: 'finalize by another account', status: 403, type: 'unauthorized', detail: /order does not belong/, run: async (e) => asB(e, String(e.readyOrder['finalize']), { csr: b64((await makeCsr([dns('ready.example.com')])).csr) }) },
  // ---- certificates and revocation ----
  { name: 'certificate fetched by another account', status: 403, type: 'unauthorized', detail: /certificate does not belong/, run: (e) => asB(e, e.certUrl, '') },
  { name: 'unknown certificate URL', status: 404, type: 'malformed', detail: /No such certificate/, run: (e) => jws(e, `${BASE}/cert/01ab`, '') },
  { name: 'revoke a certificate that is not DER', status: 400, type: 'malformed', detail: /not a DER X\.509 certificate/, run: (e) => jws(e, URL_OF.revokeCert, { certificate: b64('junk') }) },
  { name: 'revoke a certificate this CA did not issue', status: 404, type: 'malformed', detail: /issued no such certificate/, run: (e) => jws(e, URL_OF.revokeCert, { certificate: b64(e.ca.root.certificate) }) },
  { name: 'revoke with reason privilegeWithdrawn (9)', status: 400, type: 'badRevocationReason', detail: /reason 9 is not allowed/, run: (e) => jws(e, URL_OF.revokeCert, { certificate: b64(e.certDer), reason: 9 }) },
  { name: 'revoke by an account without authorizations', status: 403, type: 'unauthorized', detail: /no valid authorization for: issued\.example\.com/, run: (e) => asB(e, URL_OF.revokeCert, { certificate: b64(e.certDer) }) },
  { name: 'revoke by a jwk that is not the certificate key', status: 403, type: 'unauthorized', detail: /not the certificate's public key/, run: (e) => jws(e, URL_OF.revokeCert, { certificate: b64(e.certDer) }, { key: newKey(), kid: null }) },
  { name: 'revoke as POST-as-GET', status: 400, type: 'malformed', detail: /needs a JSON object payload/, run: (e) => jws(e, URL_OF.revokeCert, '') },
  // ---- ARI ----
  { name: 'renewalInfo with a malformed certID', status: 400, type: 'malformed', detail: /Invalid ARI certificate id/, run: (e) => e.ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/abc`, headers: {}, body: undefined }) },
  { name: 'renewalInfo with a negative serial', status: 400, type: 'malformed', detail: /negative/, run: (e) => e.ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/AAAA.gA`, headers: {}, body: undefined }) },
  { name: 'renewalInfo for an unknown certificate', status: 404, type: 'malformed', detail: /no certificate with that certificate id/, run: (e) => e.ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/AAAA.AQ`, headers: {}, body: undefined }) },
  { name: 'renewalInfo with the right serial but another AKI', status: 404, type: 'malformed', detail: /no certificate with that certificate id/, run: (e) => {
    const id = certIdOf(readCertificate(e.certDer, 't'))!;
    return e.ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/AAAA.${id.split('.')[1]}`, headers: {}, body: undefined });
  } },
  { name: 'POST to renewalInfo', status: 405, type: 'malformed', detail: /POST is not allowed/, run: (e) => jws(e, `${URL_OF.renewalInfo}/AAAA.AQ`, '') },
];

describe('ACME engine: hostile requests', () => {
  let env: Env;

  beforeAll(async () => {
    const ca = await makeCa();
    const a = new TestClient(ca.server);
    const b = new TestClient(ca.server);
    await b.register();
    const gone = new TestClient(ca.server);
    await gone.register();
    expect((await gone.post(gone.kid!, { status: 'deactivated' })).status).toBe(200);
    const issued = await a.issue(ca, [dns('issued.example.com')]);
    const ready = await a.readyOrder(ca, [dns('ready.example.com')]);
    const created = await a.newOrder([dns('pending.example.com')]);
    const pendingOrder = jsonBody(created);
    const pendingAuthzUrl = (pendingOrder['authorizations'] as string[])[0]!;
    const authz = jsonBody(await a.post(pendingAuthzUrl, ''));
    env = {
      ca, a, b, gone,
      pendingOrder,
      pendingOrderUrl: String(created.headers['Location']),
      pendingAuthzUrl,
      challengeUrl: (authz['challenges'] as { url: string }[])[0]!.url,
      readyOrder: ready.order,
      certDer: issued.certDer,
      certUrl: issued.certUrl,
    };
    expect(ready.order['status']).toBe('ready');
  });

  it('has at least 40 rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  for (const row of rows) {
    it(`${row.name} → ${row.status} ${row.type}, nothing written`, async () => {
      const before = env.ca.writes.length;
      const res = await row.run(env);
      const doc = jsonBody(res);
      expect({ status: res.status, type: doc['type'] }).toEqual({ status: row.status, type: `urn:ietf:params:acme:error:${row.type}` });
      expect(res.headers['Content-Type']).toBe('application/problem+json');
      expect(doc['status']).toBe(row.status);
      expect(String(doc['detail'])).toMatch(row.detail);
      expect(res.headers['Replay-Nonce']).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(res.headers['Link']).toContain(`<${URL_OF.directory}>;rel="index"`);
      if (row.status === 405) expect(res.headers['Allow']).toBeDefined();
      await env.ca.server.drain();
      expect(env.ca.writes.slice(before)).toEqual([]);
    });
  }
});
