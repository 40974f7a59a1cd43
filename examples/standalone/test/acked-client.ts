/*
 * An ACME client for crash tests that writes down everything the server
 * acknowledged: each account, order, authorization and certificate URL with
 * the last status a 2xx response showed (and the certificate bytes). What a
 * request in flight at a crash would have created is not in the ledger: the
 * server never answered for it. JWS, HTTPS and the http-01 responder are the
 * load generator's (bench/src/acme-load), which cost little CPU per request.
 */
import type { Agent } from 'node:https';
import { buildCsr, generateSoftwareSigner } from '@certwright/core';
import type { ChallengeServer } from '../../../bench/src/acme-load/challenge-server.js';
import { httpsRequest, type HttpResponse } from '../../../bench/src/acme-load/http.js';
import { b64u, generateAccountKey, signJws, type AccountKey } from '../../../bench/src/acme-load/jws.js';

/** The directory URLs used (RFC 8555 §7.1.1). */
export interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}

/** An order as last acknowledged: its status and the URLs it named. */
export interface AckedOrder {
  status: string;
  account: AckedClient;
  authorizations: string[];
  certificate?: string;
}

/** Everything the server acknowledged to the clients, by URL. */
export class Ledger {
  readonly accounts = new Map<string, AckedClient>();
  readonly orders = new Map<string, AckedOrder>();
  /** Authorization URL → last status and owner. */
  readonly authorizations = new Map<string, { status: string; account: AckedClient }>();
  /** Certificate URL → the PEM chain downloaded, and its owner. */
  readonly certificates = new Map<string, { pem: string; account: AckedClient }>();
}

/** An ACME error answer (problem document, RFC 8555 §6.7). */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
  ) {
    super(`HTTP ${status} ${type}: ${detail}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Status order of orders (RFC 8555 §7.1.6); `invalid` is handled apart. */
export const ORDER_RANK: Readonly<Record<string, number>> = { pending: 0, ready: 1, processing: 2, valid: 3 };
/** Status order of authorizations. */
export const AUTHZ_RANK: Readonly<Record<string, number>> = { pending: 0, valid: 1 };

/** One account's client; every POST is a JWS with the last nonce seen. */
export class AckedClient {
  readonly key: AccountKey = generateAccountKey();
  url: string | undefined;
  /** The Replay-Nonce of the last response, not yet used. */
  nonce: string | undefined;

  constructor(
    private readonly agent: () => Agent,
    private readonly directory: Directory,
    private readonly ledger: Ledger,
  ) {}

  /** Creates the account (RFC 8555 §7.3) and records it once the server answered 201. */
  async register(): Promise<void> {
    const res = await this.post(this.directory.newAccount, { termsOfServiceAgreed: true }, false);
    const location = header(res, 'location');
    if (res.status !== 201 || location === undefined) throw new Error(`newAccount: HTTP ${res.status} without Location`);
    this.url = location;
    this.ledger.accounts.set(location, this);
  }

  /** One complete issuance for `ip` (RFC 8555 §7.4), recording every acknowledged step. */
  async issue(ip: string, challenges: ChallengeServer): Promise<void> {
    const res = await this.post(this.directory.newOrder, { identifiers: [{ type: 'ip', value: ip }] });
    const orderUrl = header(res, 'location')!;
    const created = this.json(res) as { status: string; authorizations: string[]; finalize: string };
    const order: AckedOrder = { status: created.status, account: this, authorizations: created.authorizations };
    this.ledger.orders.set(orderUrl, order);
    for (const authzUrl of created.authorizations) {
      let authz = await this.fetchAuthorization(authzUrl);
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      challenges.answers.set(challenge.token, `${challenge.token}.${this.key.thumbprint}`);
      await this.post(challenge.url, {});
      while (authz.status === 'pending') {
        await sleep(20);
        authz = await this.fetchAuthorization(authzUrl);
      }
      challenges.answers.delete(challenge.token);
      if (authz.status !== 'valid') throw new Error(`${authzUrl} ended ${authz.status}`);
    }
    const signer = await generateSoftwareSigner('P-256');
    const csr = await buildCsr({ signer, identifiers: [{ type: 'ip', value: ip }] });
    let body = this.noteOrder(orderUrl, await this.post(created.finalize, { csr: b64u(csr) }));
    while (body.status === 'processing' || body.status === 'ready') {
      await sleep(20);
      body = this.noteOrder(orderUrl, await this.post(orderUrl, undefined));
    }
    if (body.status !== 'valid' || body.certificate === undefined) throw new Error(`${orderUrl} ended ${body.status}`);
    const pem = (await this.post(body.certificate, undefined)).body.toString('utf8');
    this.ledger.certificates.set(body.certificate, { pem, account: this });
  }

  /** POST-as-GET of an authorization, recording its status. */
  async fetchAuthorization(url: string): Promise<{ status: string; challenges: { type: string; url: string; token: string; status: string }[] }> {
    const authz = this.json(await this.post(url, undefined)) as { status: string; challenges: { type: string; url: string; token: string; status: string }[] };
    this.ledger.authorizations.set(url, { status: authz.status, account: this });
    return authz;
  }

  private noteOrder(url: string, res: HttpResponse): { status: string; certificate?: string } {
    const body = this.json(res) as { status: string; certificate?: string };
    const order = this.ledger.orders.get(url)!;
    order.status = body.status;
    if (body.certificate !== undefined) order.certificate = body.certificate;
    return body;
  }

  private json(res: HttpResponse): unknown {
    return JSON.parse(res.body.toString('utf8'));
  }

  /**
   * A JWS POST (payload undefined: POST-as-GET) with the last nonce seen, or
   * a fresh one; a `badNonce` is retried once with the nonce it carries
   * (RFC 8555 §6.5). Any other problem throws a {@link ProblemError}.
   */
  async post(url: string, payload: unknown, withKid = true): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.postOnce(url, payload, withKid);
      if (res.status < 400) return res;
      const problem = JSON.parse(res.body.toString('utf8')) as { type: string; detail: string };
      if (problem.type === 'urn:ietf:params:acme:error:badNonce' && attempt === 0) continue;
      throw new ProblemError(res.status, problem.type, problem.detail);
    }
  }

  /** One JWS POST with `nonce` (default: the last one seen, or a fresh one); the response whatever its status. */
  async postOnce(url: string, payload: unknown, withKid = true, nonce?: string): Promise<HttpResponse> {
    const used = nonce ?? this.nonce ?? (await this.freshNonce());
    this.nonce = undefined;
    const body = signJws(this.key, { url, nonce: used, ...(withKid ? { kid: this.url } : {}), payload });
    const res = await httpsRequest(this.agent(), url, 'POST', body);
    this.nonce = header(res, 'replay-nonce');
    return res;
  }

  private async freshNonce(): Promise<string> {
    const res = await httpsRequest(this.agent(), this.directory.newNonce, 'HEAD');
    const nonce = header(res, 'replay-nonce');
    if (nonce === undefined) throw new Error(`newNonce: HTTP ${res.status} without Replay-Nonce`);
    return nonce;
  }
}
