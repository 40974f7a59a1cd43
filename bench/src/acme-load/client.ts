/**
 * One ACME client worker of the load generator: an account created once,
 * then complete issuances (RFC 8555 §7.4): new order for one IP identifier
 * (RFC 8738), authorization fetch, http-01 answer and challenge POST, polls,
 * finalize with a fresh P-256 CSR, poll, certificate download. Every POST is
 * a JWS signed by {@link signJws}; the nonce of each response is used for the
 * next request (RFC 8555 §7.2), and a `badNonce` is retried once.
 */
import type { Agent } from 'node:https';
import { buildCsr, generateSoftwareSigner } from '@certwright/core';
import type { ChallengeServer } from './challenge-server.js';
import { httpsRequest, type HttpResponse } from './http.js';
import { b64u, generateAccountKey, signJws, type AccountKey } from './jws.js';

/** The directory URLs the worker uses (RFC 8555 §7.1.1). */
export interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
}

/** Counters shared by the workers of one cell. */
export interface ClientCounters {
  /** Every HTTP request made. */
  requests: number;
  /** Requests carrying a JWS (every POST). */
  jwsRequests: number;
}

/** An issuance that ended with an ACME problem or a transport error. */
export class IssuanceError extends Error {
  /** The problem type (`urn:ietf:params:acme:error:…`) or a short transport label. */
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Delay between polls of a pending authorization or processing order; the same for every target. */
export const POLL_INTERVAL_MS = 10;
const MAX_POLLS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fetches and checks the directory. */
export async function fetchDirectory(agent: Agent, url: string): Promise<Directory> {
  const res = await httpsRequest(agent, url, 'GET');
  if (res.status !== 200) throw new Error(`directory ${url}: HTTP ${res.status}`);
  const d = JSON.parse(res.body.toString('utf8')) as Partial<Directory>;
  if (!d.newNonce || !d.newAccount || !d.newOrder) throw new Error(`directory ${url}: missing newNonce/newAccount/newOrder`);
  return { newNonce: d.newNonce, newAccount: d.newAccount, newOrder: d.newOrder };
}

/** One worker: an account key, its account URL, the last nonce seen. */
export class AcmeWorker {
  private readonly key: AccountKey = generateAccountKey();
  private kid: string | undefined;
  private nonce: string | undefined;

  constructor(
    private readonly agent: Agent,
    private readonly directory: Directory,
    private readonly challenges: ChallengeServer,
    private readonly counters: ClientCounters,
  ) {}

  /** Creates the worker's account (RFC 8555 §7.3). */
  async register(): Promise<void> {
    const res = await this.post(this.directory.newAccount, { termsOfServiceAgreed: true }, false);
    const location = header(res, 'location');
    if (location === undefined) throw new IssuanceError('no-account-location', `newAccount: HTTP ${res.status} without Location`);
    this.kid = location;
  }

  /** One complete issuance for `ip`; resolves with the PEM chain's length in bytes. */
  async issue(ip: string): Promise<number> {
    const orderRes = await this.post(this.directory.newOrder, { identifiers: [{ type: 'ip', value: ip }] });
    const orderUrl = header(orderRes, 'location');
    if (orderUrl === undefined) throw new IssuanceError('no-order-location', 'newOrder without Location');
    let order = json(orderRes) as { status: string; authorizations: string[]; finalize: string; certificate?: string };
    for (const authzUrl of order.authorizations) {
      const authz = json(await this.post(authzUrl, undefined)) as { status: string; challenges: { type: string; url: string; token: string }[] };
      if (authz.status === 'valid') throw new IssuanceError('authorization-reused', `${authzUrl} was already valid`);
      const challenge = authz.challenges.find((c) => c.type === 'http-01');
      if (challenge === undefined) throw new IssuanceError('no-http-01', `${authzUrl} offers no http-01`);
      this.challenges.answers.set(challenge.token, `${challenge.token}.${this.key.thumbprint}`);
      try {
        await this.post(challenge.url, {});
        await this.pollUntil(authzUrl, (b) => b['status'] !== 'pending', 'authorization');
      } finally {
        this.challenges.answers.delete(challenge.token);
      }
    }
    const signer = await generateSoftwareSigner('P-256');
    const csr = await buildCsr({ signer, identifiers: [{ type: 'ip', value: ip }] });
    order = json(await this.post(order.finalize, { csr: b64u(csr) })) as typeof order;
    if (order.status !== 'valid') order = (await this.pollUntil(orderUrl, (b) => b['status'] !== 'processing' && b['status'] !== 'ready', 'order')) as typeof order;
    if (order.status !== 'valid' || order.certificate === undefined) throw new IssuanceError(`order-${order.status}`, `order ${orderUrl} ended ${order.status}`);
    const cert = await this.post(order.certificate, undefined);
    if (!cert.body.includes('-----BEGIN CERTIFICATE-----')) throw new IssuanceError('no-certificate', `certificate download: HTTP ${cert.status}`);
    return cert.body.length;
  }

  private async pollUntil(url: string, done: (body: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < MAX_POLLS; i++) {
      const body = json(await this.post(url, undefined)) as Record<string, unknown>;
      if (done(body)) {
        if (what === 'authorization' && body['status'] !== 'valid') {
          const problem = (body['challenges'] as { error?: { type?: string } }[] | undefined)?.find((c) => c.error)?.error?.type;
          throw new IssuanceError(problem ?? `authorization-${String(body['status'])}`, `${url} ended ${String(body['status'])}`);
        }
        return body;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new IssuanceError(`${what}-poll-limit`, `${url} still pending after ${MAX_POLLS} polls`);
  }

  /** A JWS POST (payload undefined = POST-as-GET); throws an {@link IssuanceError} for a problem document. */
  private async post(url: string, payload: unknown, withKid = true): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce ?? (await this.freshNonce());
      this.nonce = undefined;
      const body = signJws(this.key, { url, nonce, ...(withKid ? { kid: this.kid } : {}), payload });
      this.counters.requests++;
      this.counters.jwsRequests++;
      const res = await httpsRequest(this.agent, url, 'POST', body);
      this.nonce = header(res, 'replay-nonce');
      if (res.status < 400) return res;
      let type = `http-${res.status}`;
      let detail = res.body.toString('utf8').slice(0, 300);
      try {
        const problem = JSON.parse(res.body.toString('utf8')) as { type?: string; detail?: string };
        type = problem.type ?? type;
        detail = problem.detail ?? detail;
      } catch {
        // not JSON: keep the HTTP status as the kind
      }
      if (type === 'urn:ietf:params:acme:error:badNonce' && attempt === 0) continue;
      throw new IssuanceError(type, `${url}: ${detail}`);
    }
  }

  private async freshNonce(): Promise<string> {
    this.counters.requests++;
    const res = await httpsRequest(this.agent, this.directory.newNonce, 'HEAD');
    const nonce = header(res, 'replay-nonce');
    if (nonce === undefined) throw new IssuanceError('no-nonce', `newNonce: HTTP ${res.status} without Replay-Nonce`);
    return nonce;
  }
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(res: HttpResponse): unknown {
  return JSON.parse(res.body.toString('utf8'));
}
