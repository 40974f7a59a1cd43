/**
 * Property-based fuzzing of `handle()`: random requests, well-signed JWS
 * envelopes with mutated headers and payloads, mutated base64url, and
 * random CSRs at finalize. Invariants for every response: `handle` resolves;
 * the status is 2xx/3xx, or a problem document (`application/problem+json`,
 * an ACME error type, `status` equal to the HTTP status); never a 500, since
 * every input here is the client's doing; and no internal error is logged.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, buildCsr, checkCsrMatchesOrder, memoryLogger, parseCsrDer, softwareSignerFromKeyObject } from '@certwright/core';
import { certIdOf, readCertificate } from '../../src/engine/certificate-info.js';
import { createMemoryRateLimiter } from '../../src/ratelimit/index.js';
import type { AcmeRequest, AcmeResponse } from '../../src/engine/index.js';
import { BASE, TestClient, URL_OF, dns, jsonBody, makeCa, makeCsr, newKey, signRaw } from './helpers.js';
import type { ClientKey, TestCa } from './helpers.js';

/** Runs per property; FUZZ_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 400);
const JOSE = { 'content-type': 'application/jose+json' };
const enc = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const b64 = (v: Uint8Array | string): string => Buffer.from(v).toString('base64url');

interface Env {
  ca: TestCa;
  log: ReturnType<typeof memoryLogger>;
  client: TestClient;
  /** A throwaway account for fuzzing its own account URL. */
  spare: TestClient;
  orderUrl: string;
  authzUrl: string;
  challengeUrl: string;
  finalizeUrl: string;
  certUrl: string;
  certDer: Uint8Array;
  /** The issued certificate's key, for revocation signed with it. */
  certKey: ClientKey;
  csrDer: Uint8Array;
  ordersUrl: string;
}

let env: Env;

const GENEROUS_LIMITS = {
  newAccountsPerIp: { count: 1_000_000, periodSeconds: 1 },
  newOrdersPerAccount: { count: 1_000_000, periodSeconds: 1 },
  failedValidationsPerAccountIdentifier: { count: 1_000_000, periodSeconds: 1 },
  certificatesPerDomain: { count: 1_000_000, periodSeconds: 1 },
};

/** Client addresses as adapters might pass them, well-formed or not. */
const remoteAddress = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((a) => `::ffff:${a}`), fc.ipV6().map((a) => `${a}%eth0`), fc.string({ maxLength: 20 }), fc.constant(undefined));

beforeAll(async () => {
  const log = memoryLogger();
  // Generous limits: the limiter's code runs on every request without refusing the fuzzer.
  const ca = await makeCa({ logger: log, rateLimiter: createMemoryRateLimiter({ rules: GENEROUS_LIMITS, clock: new FakeClock() }) });
  const client = new TestClient(ca.server);
  const issued = await client.issue(ca, [dns('issued.example.com')]);
  const pending = jsonBody(await client.newOrder([dns('pending.example.com')]));
  const authzUrl = (pending['authorizations'] as string[])[0]!;
  const challengeUrl = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { url: string }[])[0]!.url;
  const ready = await client.readyOrder(ca, [dns('ready.example.com')]);
  const { csr } = await makeCsr([dns('ready.example.com')]);
  const spare = new TestClient(ca.server);
  await spare.register();
  env = {
    ca,
    log,
    client,
    spare,
    orderUrl: ready.url,
    authzUrl,
    challengeUrl,
    finalizeUrl: String(ready.order['finalize']),
    certUrl: issued.certUrl,
    certDer: issued.certDer,
    certKey: { alg: 'ES256', privateKey: issued.certKey, jwk: createPublicKey(issued.certKey).export({ format: 'jwk' }) as ClientKey['jwk'] },
    csrDer: csr,
    ordersUrl: `${client.kid!}/orders`,
  };
});

/** Checks the invariants of one response. */
function checkResponse(res: AcmeResponse): void {
  expect(Number.isInteger(res.status)).toBe(true);
  expect(typeof res.headers['Replay-Nonce']).toBe('string');
  if (res.status >= 200 && res.status < 400) return;
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).not.toBe(500);
  expect(res.status).toBeLessThan(600);
  expect(res.headers['Content-Type']).toBe('application/problem+json');
  if (res.body === undefined) return; // HEAD
  const problem = JSON.parse(String(res.body)) as { type: unknown; status: unknown; detail: unknown };
  expect(String(problem.type)).toMatch(/^urn:ietf:params:acme:error:[A-Za-z]+$/);
  expect(problem.status).toBe(res.status);
  expect(typeof problem.detail).toBe('string');
}

/** Sends `req` (HEAD requests carry no body in their answer) and checks it. */
async function send(req: AcmeRequest): Promise<AcmeResponse> {
  const res = await env.ca.server.handle(req);
  checkResponse(res);
  return res;
}

function noInternalErrors(): void {
  expect(env.log.events.filter((e) => e['event'] === 'acme.request.internalError' || e['event'] === 'acme.background.failed')).toEqual([]);
}

function urls(): string[] {
  return [
    URL_OF.directory, URL_OF.newNonce, URL_OF.newAccount, URL_OF.newOrder, URL_OF.newAuthz, URL_OF.revokeCert, URL_OF.keyChange,
    `${URL_OF.renewalInfo}/aaaa.bbbb`, env.client.kid!, env.ordersUrl, `${env.ordersUrl}?cursor=abc`, env.orderUrl, env.authzUrl,
    env.challengeUrl, env.finalizeUrl, env.certUrl, `${env.certUrl}/1`, `${env.certUrl}/7`,
  ];
}

const anyUrl = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...urls()),
    fc.tuple(fc.constantFrom(...urls()), fc.string({ maxLength: 12 })).map(([u, s]) => u + s),
    fc.string({ maxLength: 40 }).map((s) => `${BASE}/${s}`),
    fc.webUrl(),
  );

const fuzzKeys: ClientKey[] = [];
function someKey(index: number): ClientKey {
  if (fuzzKeys.length === 0) fuzzKeys.push(newKey('ES256'), newKey('RS256'));
  return fuzzKeys[index % fuzzKeys.length]!;
}

async function freshNonce(): Promise<string> {
  return env.client.fetchNonce();
}

/** A POST of a raw JWS object (any shape) to `url`. */
function postBody(url: string, body: unknown, address?: string): Promise<AcmeResponse> {
  return send({ method: 'POST', url, headers: JOSE, body: enc(body), ...(address === undefined ? {} : { remoteAddress: address }) });
}

/** A well-signed JWS with account A's kid (or the given header) and `payload`. */
async function signedPost(url: string, payload: unknown, header: Record<string, unknown> = {}, client: TestClient = env.client): Promise<AcmeResponse> {
  const jws = signRaw(client.key, { kid: client.kid, nonce: await freshNonce(), url, ...header }, payloadText(payload));
  return postBody(url, jws);
}

const json = fc.jsonValue({ maxDepth: 4 });
/** Any JSON value, or one of the values that most often reveal a missing type check. */
const field = fc.oneof(json, fc.constantFrom(null, true, 0, -1, 1e308, '', '*', [], {}, [null], { type: 'dns' }, 'a'.repeat(300)));
/** Deep nesting, as a marker that {@link payloadText} expands (fast-check cannot print a value nested thousands deep). */
const deep = fc.integer({ min: 1, max: 12_000 }).map((d) => ({ __deep: d }));

/** The JSON text of a payload, `{"__deep":n}` markers expanded to n nested arrays; strings are sent as they are. */
function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  return JSON.stringify(payload).replace(/\{"__deep":(\d+)\}/g, (_, d: string) => '['.repeat(Number(d)) + ']'.repeat(Number(d)));
}
const huge = fc.tuple(fc.constantFrom('a', 'é', '\u0000', '"', '\\', '😀'), fc.integer({ min: 1000, max: 9000 })).map(([c, n]) => c.repeat(n));
const identifierish = fc.oneof(
  field,
  fc.record({ type: fc.oneof(fc.constantFrom('dns', 'ip', 'email', 'DNS'), field), value: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), field) }, { requiredKeys: [] }),
);

/** Whether the engine's own name check would accept `csr` for the shared order (ready.example.com). */
async function matchesReadyOrder(csr: Uint8Array): Promise<boolean> {
  try {
    checkCsrMatchesOrder(await parseCsrDer(csr), [{ type: 'dns', value: 'ready.example.com' }]);
    return true;
  } catch {
    return false;
  }
}

describe('ACME engine: fuzzing handle()', () => {
  it('answers random requests with a valid response or problem document', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'post', 'PATCH', 'BREW', ''),
        anyUrl(),
        fc.dictionary(fc.constantFrom('content-type', 'Content-Type', 'accept', 'x-forwarded-for', 'content-length', 'CONTENT-TYPE'), fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant('application/jose+json'), fc.constant(undefined))),
        fc.oneof(fc.constant(undefined), fc.uint8Array({ maxLength: 300 }), json.map((v) => enc(v)), huge.map((s) => enc(s)), fc.integer({ min: 64 * 1024 - 2, max: 70_000 }).map((n) => new Uint8Array(n).fill(0x7b))),
        remoteAddress,
        async (method, url, headers, body, address) => {
          await send({ method, url, headers, body, ...(address === undefined ? {} : { remoteAddress: address }) });
        },
      ),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers JWS envelopes with mutated protected headers', async () => {
    const headerValue = fc.oneof(field, fc.constantFrom('ES256', 'RS256', 'EdDSA', 'none', 'HS256', 'es256'));
    await fc.assert(
      fc.asyncProperty(
        anyUrl(),
        fc.nat(),
        fc.record(
          {
            alg: headerValue,
            kid: fc.oneof(field, fc.constant('use-account')),
            jwk: fc.oneof(field, fc.constant('use-key'), fc.record({ kty: fc.constantFrom('EC', 'RSA', 'OKP', 'oct'), crv: field, x: field, y: field, n: field, e: field }, { requiredKeys: [] })),
            nonce: fc.oneof(field, fc.constant('fresh')),
            url: fc.oneof(field, fc.constant('same')),
            b64: field,
            crit: field,
            extra: field,
          },
          { requiredKeys: [] },
        ),
        fc.oneof(json, fc.constant('')),
        async (url, keyIndex, mutated, payload) => {
          const key = keyIndex % 3 === 0 ? env.client.key : someKey(keyIndex);
          const header: Record<string, unknown> = { ...mutated };
          if (header['kid'] === 'use-account') header['kid'] = env.client.kid;
          if (header['jwk'] === 'use-key') header['jwk'] = key.jwk;
          if (header['nonce'] === 'fresh') header['nonce'] = await freshNonce();
          if (header['url'] === 'same') header['url'] = url;
          // signRaw puts the key's alg first; a generated alg replaces it.
          await postBody(url, signRaw(key, header, payload));
        },
      ),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers mutated base64url and JSON shapes of the flattened JWS', async () => {
    const mutation = fc.record({
      part: fc.constantFrom('protected', 'payload', 'signature'),
      at: fc.nat(),
      kind: fc.constantFrom('delete', 'insert', 'replace', 'pad', 'truncate', 'type'),
      char: fc.constantFrom('=', '+', '/', '.', ' ', 'A', '_', '-', '\u0000', 'é', '%'),
      value: field,
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...urls().filter((u) => u !== URL_OF.directory && u !== URL_OF.newNonce)), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (url, mutations) => {
        const jws: Record<string, unknown> = signRaw(env.client.key, { kid: env.client.kid, nonce: await freshNonce(), url }, url === URL_OF.newOrder ? { identifiers: [dns('m.example.com')] } : '');
        for (const m of mutations) {
          const text = String(jws[m.part] ?? '');
          const at = text.length === 0 ? 0 : m.at % text.length;
          if (m.kind === 'delete') jws[m.part] = text.slice(0, at) + text.slice(at + 1);
          if (m.kind === 'insert') jws[m.part] = text.slice(0, at) + m.char + text.slice(at);
          if (m.kind === 'replace') jws[m.part] = text.slice(0, at) + m.char + text.slice(at + 1);
          if (m.kind === 'pad') jws[m.part] = `${text}==`;
          if (m.kind === 'truncate') jws[m.part] = text.slice(0, at);
          if (m.kind === 'type') jws[m.part] = m.value;
        }
        await postBody(url, jws);
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers newAccount, newOrder, account and keyChange payloads of every wrong type', async () => {
    const payloads = fc.oneof(
      fc.record({ url: fc.constant(URL_OF.newAccount), useJwk: fc.constant(true), payload: fc.record({ contact: fc.oneof(field, fc.array(fc.oneof(field, fc.emailAddress().map((e) => `mailto:${e}`)), { maxLength: 3 })), termsOfServiceAgreed: field, onlyReturnExisting: field, externalAccountBinding: fc.oneof(field, fc.record({ protected: field, payload: field, signature: field }, { requiredKeys: [] })) }, { requiredKeys: [] }) }),
      fc.record({ url: fc.constant(URL_OF.newOrder), useJwk: fc.constant(false), payload: fc.record({ identifiers: fc.oneof(field, fc.array(identifierish, { maxLength: 4 }), deep), notBefore: fc.oneof(field, fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString()))), notAfter: field, profile: fc.oneof(field, fc.constantFrom('default', 'shortlived')), replaces: field }, { requiredKeys: [] }) }),
      fc.record({ url: fc.constant('spare-account'), useJwk: fc.constant(false), payload: fc.record({ contact: field, status: fc.oneof(field, fc.constantFrom('valid', 'revoked')), termsOfServiceAgreed: field, orders: field }, { requiredKeys: [] }) }),
      fc.record({ url: fc.constant(URL_OF.keyChange), useJwk: fc.constant(false), payload: fc.oneof(field, fc.record({ protected: field, payload: field, signature: field }, { requiredKeys: [] })) }),
      fc.record({ url: fc.constantFrom(URL_OF.newOrder, URL_OF.newAuthz, URL_OF.revokeCert, URL_OF.keyChange), useJwk: fc.boolean(), payload: fc.oneof(json, deep, huge) }),
      fc.record({ url: fc.constant(URL_OF.newAuthz), useJwk: fc.constant(false), payload: fc.record({ identifier: identifierish }, { requiredKeys: [] }) }),
    );
    await fc.assert(
      fc.asyncProperty(payloads, remoteAddress, async ({ url, useJwk, payload }, address) => {
        if (url === 'spare-account') {
          await signedPost(env.spare.kid!, payload, {}, env.spare);
          return;
        }
        const key = useJwk ? newKeyOnce() : env.client.key;
        if (useJwk) {
          const jws = signRaw(key, { jwk: key.jwk, nonce: await freshNonce(), url }, payloadText(payload));
          await postBody(url, jws, address);
        } else {
          await signedPost(url, payload);
        }
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers valid payloads with one field replaced by a value of another type, or removed', async () => {
    const removed = Symbol('removed');
    const bases: { url: () => string; jwk: boolean; payload: Record<string, unknown> }[] = [
      { url: () => URL_OF.newAccount, jwk: true, payload: { termsOfServiceAgreed: true, contact: ['mailto:fuzz@example.com'], onlyReturnExisting: false } },
      { url: () => URL_OF.newOrder, jwk: false, payload: { identifiers: [{ type: 'dns', value: 'fz.example.com' }, { type: 'ip', value: '10.1.2.3' }], profile: 'shortlived', notBefore: '2026-03-01T01:00:00Z', notAfter: '2026-03-05T00:00:00Z' } },
      { url: () => URL_OF.newAuthz, jwk: false, payload: { identifier: { type: 'dns', value: 'pre.example.com' } } },
      { url: () => env.spare.kid!, jwk: false, payload: { contact: ['mailto:spare@example.com'], termsOfServiceAgreed: true } },
      { url: () => URL_OF.revokeCert, jwk: false, payload: { certificate: b64(env.certDer), reason: 4 } },
    ];
    const change = fc.record({
      base: fc.nat({ max: bases.length - 1 }),
      field: fc.nat(),
      inner: fc.nat(),
      value: fc.oneof(field, fc.constant(removed), fc.domain(), fc.ipV6(), fc.constantFrom('*.fz.example.com', 'FZ.EXAMPLE.COM', 'fz.example.com.', 'xn--a', '10.0.0.1/8', '::1', 'mailto:', 'mailto:a@b,c@d')),
    });
    await fc.assert(
      fc.asyncProperty(change, async ({ base, field: fieldIndex, inner, value }) => {
        const chosen = bases[base]!;
        const payload = structuredClone(chosen.payload);
        const names = Object.keys(payload);
        const name = names[fieldIndex % names.length]!;
        const current = payload[name];
        if (current !== null && typeof current === 'object' && !Array.isArray(current) && inner % 3 !== 0) {
          const member = Object.keys(current)[inner % 2]!;
          if (value === removed) delete (current as Record<string, unknown>)[member];
          else (current as Record<string, unknown>)[member] = value;
        } else if (Array.isArray(current) && inner % 3 !== 0) {
          // Mutate inside the array (an identifier's member, or a contact).
          const item = current[inner % current.length] as unknown;
          if (item !== null && typeof item === 'object') {
            const member = Object.keys(item)[inner % 2]!;
            if (value === removed) delete (item as Record<string, unknown>)[member];
            else (item as Record<string, unknown>)[member] = value;
          } else {
            current[inner % current.length] = value === removed ? null : value;
          }
        } else if (value === removed) {
          delete payload[name];
        } else {
          payload[name] = value;
        }
        const url = chosen.url();
        if (chosen.jwk) {
          const key = newKeyOnce();
          await postBody(url, signRaw(key, { jwk: key.jwk, nonce: await freshNonce(), url }, payloadText(payload)));
        } else {
          await signedPost(url, payload, {}, url === env.spare.kid ? env.spare : env.client);
        }
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers jwk headers with random key material of plausible shape', async () => {
    const bytes = (n: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => b64(b));
    const jwk = fc.oneof(
      fc.record({ kty: fc.constant('EC'), crv: fc.constantFrom('P-256', 'P-384', 'P-521', 'secp256k1'), x: fc.oneof(bytes(32), bytes(48), bytes(66)), y: fc.oneof(bytes(32), bytes(48), bytes(66)) }),
      fc.record({ kty: fc.constant('RSA'), n: fc.oneof(bytes(1), bytes(64), bytes(256), bytes(512)), e: fc.constantFrom('AQAB', 'Aw', 'AA', 'AQ', '') }),
      fc.record({ kty: fc.constant('OKP'), crv: fc.constantFrom('Ed25519', 'Ed448', 'X25519'), x: fc.oneof(bytes(32), bytes(57)) }),
      fc.record({ kty: fc.constant('oct'), k: bytes(32) }),
    );
    await fc.assert(
      fc.asyncProperty(jwk, fc.constantFrom('ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'), fc.constantFrom(URL_OF.newAccount, URL_OF.revokeCert, URL_OF.newOrder), async (key, alg, url) => {
        const header = { alg, jwk: key, nonce: await freshNonce(), url };
        await postBody(url, { protected: b64(JSON.stringify(header)), payload: b64('{}'), signature: b64(new Uint8Array(64)) });
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers keyChange with signed inner JWSs of mutated headers and payloads', async () => {
    const inner = fc.record(
      {
        jwk: fc.oneof(fc.constant('new'), fc.constant('old'), field),
        url: fc.oneof(fc.constant('same'), field),
        noise: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.tuple(fc.constantFrom('nonce', 'kid', 'alg'), field), weight: 1 }),
        account: fc.oneof(fc.constant('mine'), fc.constant('other'), field),
        oldKey: fc.oneof(fc.constant('mine'), fc.constant('new'), field),
      },
      { requiredKeys: ['jwk', 'url', 'account', 'oldKey'] },
    );
    await fc.assert(
      fc.asyncProperty(inner, async (m) => {
        const spare = env.spare;
        const next = newKeyOnce();
        const header: Record<string, unknown> = {};
        if (m.jwk !== undefined) header['jwk'] = m.jwk === 'new' ? next.jwk : m.jwk === 'old' ? spare.key.jwk : m.jwk;
        if (m.url !== undefined) header['url'] = m.url === 'same' ? URL_OF.keyChange : m.url;
        if (m.noise !== undefined) header[m.noise[0]] = m.noise[1];
        const payload: Record<string, unknown> = {};
        if (m.account !== undefined) payload['account'] = m.account === 'mine' ? spare.kid : m.account === 'other' ? env.client.kid : m.account;
        if (m.oldKey !== undefined) payload['oldKey'] = m.oldKey === 'mine' ? spare.key.jwk : m.oldKey === 'new' ? next.jwk : m.oldKey;
        const res = await signedPost(URL_OF.keyChange, signRaw(next, header, payload), {}, spare);
        if (res.status === 200) spare.key = next;
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers authorization and challenge posts of every wrong type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(env.authzUrl, env.challengeUrl), fc.oneof(field, fc.record({ status: fc.oneof(field, fc.constantFrom('valid', 'pending', 'invalid')) }, { requiredKeys: [] }), huge), async (url, payload) => {
        await signedPost(url, payload);
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers renewalInfo, order-list cursors, certificate URLs and replaces with random ids', async () => {
    const realId = certIdOf(readCertificate(env.certDer, 'fuzz certificate'))!;
    const [aki, serial] = realId.split('.') as [string, string];
    const b64text = fc.uint8Array({ maxLength: 30 }).map((b) => b64(b));
    const certId = fc.oneof(
      fc.tuple(b64text, b64text).map(([a, b]) => `${a}.${b}`),
      b64text.map((b) => `${aki}.${b}`),
      b64text.map((b) => `${b}.${serial}`),
      fc.tuple(fc.nat(), fc.constantFrom('A', '_', '-', '.', '=')).map(([n, c]) => realId.slice(0, n % realId.length) + c + realId.slice((n % realId.length) + 1)),
      fc.stringMatching(/^[A-Za-z0-9_.=-]{1,80}$/),
    );
    const target = fc.oneof(
      certId.map((id) => ({ kind: 'ari' as const, value: id })),
      fc.stringMatching(/^[A-Za-z0-9_%.~-]{1,60}$/).map((c) => ({ kind: 'cursor' as const, value: c })),
      fc.oneof(fc.stringMatching(/^[0-9a-f]{2,42}$/), fc.constant(env.certUrl.split('/').pop()!)).map((v) => ({ kind: 'cert' as const, value: v })),
      certId.map((id) => ({ kind: 'replaces' as const, value: id })),
    );
    await fc.assert(
      fc.asyncProperty(target, fc.constantFrom('GET', 'HEAD'), async ({ kind, value }, method) => {
        if (kind === 'ari') await send({ method, url: `${URL_OF.renewalInfo}/${value}`, headers: {}, body: undefined });
        if (kind === 'cursor') await signedPost(`${env.ordersUrl}?cursor=${value}`, '');
        if (kind === 'cert') await signedPost(`${BASE}/cert/${value}`, '');
        if (kind === 'replaces') await signedPost(URL_OF.newOrder, { identifiers: [dns('issued.example.com')], replaces: value });
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });

  it('answers finalize with random, truncated and bit-flipped CSRs', async () => {
    const csr = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => b64(b)),
      fc.nat().map((n) => b64(env.csrDer.subarray(0, n % env.csrDer.length))),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([n, bit]) => {
        const flipped = Uint8Array.from(env.csrDer);
        flipped[n % flipped.length]! ^= 1 << bit;
        return b64(flipped);
      }),
      fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([n, junk]) => {
        const at = n % env.csrDer.length;
        return b64(Buffer.concat([env.csrDer.subarray(0, at), junk, env.csrDer.subarray(at)]));
      }),
      fc.constantFrom(b64(env?.csrDer ?? new Uint8Array(0)) + '=', `${b64('x')}+/`, 'AAAA', 'MA', 'MAA'),
      field,
    );
    await fc.assert(
      fc.asyncProperty(csr, fc.record({ extra: field }, { requiredKeys: [] }), async (value, extra) => {
        await signedPost(env.finalizeUrl, { csr: value, ...extra });
      }),
      { numRuns: RUNS },
    );
    expect(jsonBody(await env.client.post(env.orderUrl, ''))['status']).toBe('ready');
    noInternalErrors();
  });

  it('answers finalize with well-signed CSRs for other names, subjects and keys', async () => {
    const keys = [generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey, generateKeyPairSync('ed25519').privateKey];
    const name = fc.oneof(fc.constantFrom('ready.example.com', 'READY.example.com', 'ready.example.com.', '*.example.com', 'xn--ready.example.com', 'issued.example.com'), fc.domain());
    const identifier = fc.oneof(name.map((value) => ({ type: 'dns' as const, value })), fc.oneof(fc.ipV4(), fc.ipV6()).map((value) => ({ type: 'ip' as const, value })));
    await fc.assert(
      fc.asyncProperty(
        fc.array(identifier, { maxLength: 4 }),
        fc.option(fc.oneof(name, fc.string({ maxLength: 70 })), { nil: undefined }),
        fc.nat({ max: keys.length - 1 }),
        async (identifiers, commonName, keyIndex) => {
          let csr: Uint8Array;
          try {
            csr = await buildCsr({ signer: softwareSignerFromKeyObject(keys[keyIndex]!), identifiers, ...(commonName === undefined ? {} : { commonName }) });
          } catch {
            return; // the builder refuses what it cannot encode; nothing to send
          }
          // A CSR whose names normalize to the order's own (case, duplicates, a matching CN) would
          // legitimately finalize the shared order: skip it, so the order stays ready for the other properties.
          if (await matchesReadyOrder(csr)) return;
          await signedPost(env.finalizeUrl, { csr: b64(csr) });
        },
      ),
      { numRuns: Math.max(50, Math.floor(RUNS / 4)) },
    );
    expect(jsonBody(await env.client.post(env.orderUrl, ''))['status']).toBe('ready');
    noInternalErrors();
  });

  it('answers revokeCert with random, truncated and bit-flipped certificates and reasons', async () => {
    const cert = fc.oneof(
      fc.uint8Array({ maxLength: 800 }).map((b) => b64(b)),
      fc.nat().map((n) => b64(env.certDer.subarray(0, n % env.certDer.length))),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([n, bit]) => {
        const flipped = Uint8Array.from(env.certDer);
        flipped[n % flipped.length]! ^= 1 << bit;
        return b64(flipped);
      }),
      field,
    );
    await fc.assert(
      fc.asyncProperty(cert, fc.oneof(field, fc.integer({ min: -2, max: 12 })), fc.boolean(), async (certificate, reason, withCertKey) => {
        if (withCertKey) {
          const key = env.certKey;
          const jws = signRaw(key, { jwk: key.jwk, nonce: await freshNonce(), url: URL_OF.revokeCert }, { certificate, reason });
          await postBody(URL_OF.revokeCert, jws);
        } else {
          await signedPost(URL_OF.revokeCert, { certificate, reason });
        }
      }),
      { numRuns: RUNS },
    );
    noInternalErrors();
  });
});

const jwkKeys: ClientKey[] = [];
let jwkTurn = 0;
/** Keys for jwk-signed requests from a pool of eight, in turn (key generation is the slow part; reuse finds existing accounts). */
function newKeyOnce(): ClientKey {
  if (jwkKeys.length < 8) jwkKeys.push(newKey('ES256'));
  return jwkKeys[jwkTurn++ % jwkKeys.length]!;
}
