import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { buildCsr, softwareSignerFromKeyObject } from '@certwright/core';
import type { Identifier, PublicJwk } from '@certwright/core';
import { FlattenedSign } from 'jose';

/** What a test reads from one HTTP response. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
}

/** A P-256 account or certificate key. */
export interface EcKey {
  privateKey: KeyObject;
  jwk: PublicJwk;
}

export function newEcKey(): EcKey {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as PublicJwk };
}

export async function send(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function json(result: HttpResult): Record<string, unknown> {
  return JSON.parse(result.text) as Record<string, unknown>;
}

/** A small ACME client over real HTTP: keeps the last nonce, signs ES256 with `jwk` until it has an account URL. */
export class HttpAcmeClient {
  nonce: string | undefined;
  kid: string | undefined;
  directory: Record<string, unknown> | undefined;

  constructor(readonly directoryUrl: string, readonly key: EcKey = newEcKey()) {}

  async dir(): Promise<Record<string, unknown>> {
    this.directory ??= json(await send(this.directoryUrl));
    return this.directory;
  }

  async resource(name: string): Promise<string> {
    return String((await this.dir())[name]);
  }

  async freshNonce(): Promise<string> {
    const res = await send(await this.resource('newNonce'), { method: 'HEAD' });
    const nonce = res.headers.get('replay-nonce');
    if (nonce === null) throw new Error(`newNonce gave no Replay-Nonce (status ${res.status})`);
    return nonce;
  }

  /** The signed JWS body for `url`; `payload` '' is POST-as-GET. */
  async jws(url: string, payload: unknown, useJwk = false): Promise<string> {
    const nonce = this.nonce ?? (await this.freshNonce());
    this.nonce = undefined;
    const keyHeader = useJwk || this.kid === undefined ? { jwk: this.key.jwk } : { kid: this.kid };
    const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const signed = await new FlattenedSign(bytes).setProtectedHeader({ alg: 'ES256', nonce, url, ...keyHeader }).sign(this.key.privateKey);
    return JSON.stringify(signed);
  }

  async post(url: string, payload: unknown, useJwk = false): Promise<HttpResult> {
    const body = await this.jws(url, payload, useJwk);
    const res = await send(url, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body });
    this.nonce = res.headers.get('replay-nonce') ?? undefined;
    return res;
  }

  async register(): Promise<HttpResult> {
    const res = await this.post(await this.resource('newAccount'), { termsOfServiceAgreed: true }, true);
    if (res.status === 201 || res.status === 200) this.kid = res.headers.get('location') ?? undefined;
    return res;
  }

  /** POST-as-GET `url` until `done(body)` (auto-valid validation and issuance run in the background). */
  async poll(url: string, done: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const body = json(await this.post(url, ''));
      if (done(body)) return body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${url} did not reach the expected state`);
  }
}

export async function csrFor(identifiers: Identifier[]): Promise<{ csr: string; key: KeyObject }> {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = await buildCsr({ signer: softwareSignerFromKeyObject(pair.privateKey), identifiers });
  return { csr: Buffer.from(der).toString('base64url'), key: pair.privateKey };
}
