import { createTestHierarchy } from '@certwright/core/testing';
import { generateKeyPairSync, sign as nodeSign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  FakeClock,
  IssuerSet,
  MemoryStore,
  buildCsr,
  createIdentifierPolicy,
  createIssuanceEngine,
  cryptoRandom,
  defaultProfiles,
  silentLogger,
  softwareSignerFromKeyObject,
  DAY,
  HOUR,
  MINUTE,
} from '@certwright/core';
import type { Identifier, IssuanceEngine, Issuer, PublicJwk, Store } from '@certwright/core';
import { FlattenedSign } from 'jose';
import { createAcmeServer } from '../../src/engine/index.js';
import { autoValidValidator } from '../../src/engine/validator.js';
import type { AcmeRequest, AcmeResponse, AcmeServer, AcmeServerOptions, Validator } from '../../src/engine/index.js';

export const BASE = 'https://ca.example/acme';
export const URL_OF = {
  directory: `${BASE}/directory`,
  newNonce: `${BASE}/new-nonce`,
  newAccount: `${BASE}/new-account`,
  newOrder: `${BASE}/new-order`,
  newAuthz: `${BASE}/new-authz`,
  revokeCert: `${BASE}/revoke-cert`,
  keyChange: `${BASE}/key-change`,
  renewalInfo: `${BASE}/renewal-info`,
};

/** Names of store methods that change state (nonce methods excluded). */
const WRITES = new Set([
  'createAccount', 'updateAccount', 'createEabKey', 'deleteEabKey', 'createOrder', 'transitionOrder', 'transitionAuthorization',
  'createAuthorization', 'transitionChallenge', 'reserveSerial', 'recordPlanned', 'recordPrecertificate', 'recordIssued',
  'recordAbandoned', 'revoke', 'updateRevocationReason', 'addBlockedKey', 'purgeExpired',
]);

/** A store wrapper that counts successful state-changing calls, by method. */
export function recordingStore(inner: Store): { store: Store; writes: string[] } {
  const writes: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof prop !== 'string' || !WRITES.has(prop)) return fn.bind(target);
      return async (...args: unknown[]) => {
        const result = await fn.apply(target, args);
        if (result !== undefined && result !== false) writes.push(prop);
        return result;
      };
    },
  });
  return { store, writes };
}

/** A counting validator that approves, optionally after a delay. */
export function countingValidator(type: string, identifierTypes: ('dns' | 'ip')[] = type === 'dns-01' ? ['dns'] : ['dns', 'ip']): Validator & { calls: number } {
  const base = autoValidValidator(type, identifierTypes);
  const v = {
    type,
    identifierTypes,
    calls: 0,
    async validate(input: Parameters<Validator['validate']>[0]) {
      v.calls++;
      await new Promise((r) => setTimeout(r, 5));
      return base.validate(input);
    },
  };
  return v;
}

export interface TestCa {
  server: AcmeServer;
  store: Store;
  writes: string[];
  clock: FakeClock;
  issuer: Issuer;
  root: Issuer;
  validators: (Validator & { calls: number })[];
  issuance: IssuanceEngine;
}

let hierarchy: Promise<{ root: Issuer; intermediate: Issuer; clock: FakeClock }> | undefined;

/** One CA hierarchy per test file (key generation is the slow part). */
function sharedHierarchy(): Promise<{ root: Issuer; intermediate: Issuer; clock: FakeClock }> {
  hierarchy ??= (async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const { root, intermediate } = await createTestHierarchy({ name: 'Engine Test', clock });
    return { root, intermediate, clock };
  })();
  return hierarchy;
}

/** A CA on `baseStore` (default a MemoryStore) with the real issuance engine and counting auto-valid validators. */
export async function makeCa(overrides: Partial<AcmeServerOptions> = {}, baseStore: Store = new MemoryStore()): Promise<TestCa> {
  const { root, intermediate } = await sharedHierarchy();
  const clock = new FakeClock('2026-03-01T00:00:00Z');
  const { store, writes } = recordingStore(baseStore);
  const random = cryptoRandom();
  const issuers = new IssuerSet([intermediate]);
  const issuance = createIssuanceEngine({ store, issuers, profiles: defaultProfiles(), clock, random });
  const validators = [countingValidator('http-01'), countingValidator('dns-01'), countingValidator('tls-alpn-01')];
  const server = createAcmeServer({
    baseUrl: BASE,
    store,
    issuance,
    chains: (id) => {
      const issuer = issuers.byId(id);
      return issuer === undefined ? undefined : { chain: issuer.chain.slice(0, -1), alternateChains: [[intermediate.certificate, root.certificate]] };
    },
    identifierPolicy: createIdentifierPolicy({ allowedIpRanges: ['10.0.0.0/8', 'fd00::/8'] }),
    validators,
    clock,
    logger: silentLogger,
    random,
    profiles: [
      { name: 'default', description: '90-day TLS certificate', maxValiditySeconds: 90 * 86400 },
      { name: 'shortlived', description: '160-hour TLS certificate', maxValiditySeconds: 160 * 3600 },
    ],
    defaultProfile: 'default',
    meta: { termsOfService: 'https://ca.example/tos', website: 'https://ca.example', caaIdentities: ['ca.example'] },
    lifetimes: { order: 7 * DAY, authorization: 30 * DAY, pendingAuthorization: 7 * DAY, nonce: HOUR },
    authorizationReuse: { enabled: true, minRemainingMs: DAY },
    preAuthorization: true,
    validationTimeoutMs: 5 * MINUTE,
    ...overrides,
  });
  return { server, store, writes, clock, issuer: intermediate, root, validators, issuance };
}

/** A client signing key. */
export interface ClientKey {
  alg: 'ES256' | 'RS256' | 'EdDSA';
  privateKey: KeyObject;
  jwk: PublicJwk;
}

/** A fresh P-256 (default) key. */
export function newKey(alg: ClientKey['alg'] = 'ES256'): ClientKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { alg, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as PublicJwk };
}

/** Signs a flattened JWS; `payload` '' is POST-as-GET, a string is sent as is, anything else JSON-encoded. */
export async function sign(key: ClientKey, header: Record<string, unknown>, payload: unknown): Promise<{ protected: string; payload: string; signature: string }> {
  const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const jws = await new FlattenedSign(bytes).setProtectedHeader({ alg: key.alg, ...header }).sign(key.privateKey);
  return { protected: jws.protected ?? '', payload: jws.payload, signature: jws.signature };
}

export function jsonBody(res: AcmeResponse): Record<string, unknown> {
  if (typeof res.body !== 'string') throw new Error(`expected a text body, got ${typeof res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

export function header(res: AcmeResponse, name: string): string | string[] | undefined {
  return res.headers[name];
}

/** A tiny ACME client: keeps a nonce, signs requests with `jwk` or its account `kid`. */
export class TestClient {
  nonce: string | undefined;
  kid: string | undefined;
  constructor(readonly server: AcmeServer, public key: ClientKey = newKey()) {}

  async fetchNonce(): Promise<string> {
    const res = await this.server.handle({ method: 'HEAD', url: URL_OF.newNonce, headers: {}, body: undefined });
    return String(res.headers['Replay-Nonce']);
  }

  /** Raw request; remembers the response nonce. */
  async raw(req: AcmeRequest): Promise<AcmeResponse> {
    const res = await this.server.handle(req);
    const nonce = res.headers['Replay-Nonce'];
    if (typeof nonce === 'string') this.nonce = nonce;
    return res;
  }

  /** Signs and POSTs; `useJwk` forces the `jwk` header, `extraHeader` is merged into the protected header. */
  async post(url: string, payload: unknown, options: { useJwk?: boolean; key?: ClientKey; extraHeader?: Record<string, unknown>; contentType?: string } = {}): Promise<AcmeResponse> {
    const key = options.key ?? this.key;
    const nonce = this.nonce ?? (await this.fetchNonce());
    this.nonce = undefined;
    const keyHeader = options.useJwk || this.kid === undefined ? { jwk: key.jwk } : { kid: this.kid };
    const jws = await sign(key, { ...keyHeader, nonce, url, ...options.extraHeader }, payload);
    return this.raw({ method: 'POST', url, headers: { 'content-type': options.contentType ?? 'application/jose+json' }, body: new TextEncoder().encode(JSON.stringify(jws)) });
  }

  /** Creates (or finds) the account and remembers its URL. */
  async register(payload: Record<string, unknown> = { termsOfServiceAgreed: true }): Promise<AcmeResponse> {
    const res = await this.post(URL_OF.newAccount, payload, { useJwk: true });
    if (res.status === 201 || res.status === 200) this.kid = String(res.headers['Location']);
    return res;
  }

  async newOrder(identifiers: Identifier[], extra: Record<string, unknown> = {}): Promise<AcmeResponse> {
    return this.post(URL_OF.newOrder, { identifiers, ...extra });
  }

  /** Runs account → order → every challenge of `type` → drain; returns the order URL and object. */
  async readyOrder(ca: TestCa, identifiers: Identifier[], type = 'http-01', extra: Record<string, unknown> = {}): Promise<{ url: string; order: Record<string, unknown> }> {
    if (this.kid === undefined) await this.register();
    const created = await this.newOrder(identifiers, extra);
    if (created.status !== 201) throw new Error(`newOrder failed: ${String(created.body)}`);
    const url = String(created.headers['Location']);
    const order = jsonBody(created);
    for (const authzUrl of order['authorizations'] as string[]) {
      const authz = jsonBody(await this.post(authzUrl, ''));
      if (authz['status'] === 'valid') continue;
      const challenges = authz['challenges'] as { type: string; url: string }[];
      const chall = challenges.find((c) => c.type === type) ?? challenges[0]!;
      await this.post(chall.url, {});
    }
    await ca.server.drain();
    return { url, order: jsonBody(await this.post(url, '')) };
  }

  /** Finalizes with a fresh CSR key and waits for issuance; returns the final order and the leaf key. */
  async issue(ca: TestCa, identifiers: Identifier[], type = 'http-01'): Promise<{ orderUrl: string; order: Record<string, unknown>; certKey: KeyObject; certDer: Uint8Array; certUrl: string }> {
    const { url, order } = await this.readyOrder(ca, identifiers, type);
    const { csr, privateKey } = await makeCsr(identifiers);
    const fin = await this.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    if (fin.status !== 200) throw new Error(`finalize failed: ${String(fin.body)}`);
    await ca.server.drain();
    const done = jsonBody(await this.post(url, ''));
    const certUrl = String(done['certificate']);
    const pem = String((await this.post(certUrl, '')).body);
    const first = pem.split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';
    return { orderUrl: url, order: done, certKey: privateKey, certDer: new Uint8Array(new X509Certificate(first).raw), certUrl };
  }
}

/** A CSR for `identifiers` with a fresh P-256 key (returned for certificate-key revocation). */
export async function makeCsr(identifiers: Identifier[]): Promise<{ csr: Uint8Array; privateKey: KeyObject; jwk: PublicJwk }> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = await buildCsr({ signer: softwareSignerFromKeyObject(pair.privateKey), identifiers });
  return { csr, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as PublicJwk };
}

export const dns = (value: string): Identifier => ({ type: 'dns', value });
export const ip = (value: string): Identifier => ({ type: 'ip', value });

/** Signs a protected header and payload at the byte level, for headers jose refuses to produce (ES256/EdDSA/RS256). */
export function signRaw(key: ClientKey, header: Record<string, unknown>, payload: unknown): { protected: string; payload: string; signature: string } {
  const protectedB64 = Buffer.from(JSON.stringify({ alg: key.alg, ...header })).toString('base64url');
  const payloadB64 = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url');
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const signature = key.alg === 'ES256' ? nodeSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }) : nodeSign(key.alg === 'EdDSA' ? null : 'sha256', input, key.privateKey);
  return { protected: protectedB64, payload: payloadB64, signature: signature.toString('base64url') };
}
