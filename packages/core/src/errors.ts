import type { Identifier } from './identifier.js';

/**
 * Error codes used across certwright. Most are ACME problem types
 * (RFC 8555 §6.7 and later registrations); a few are finer-grained internal
 * codes that map onto an ACME type with a specific HTTP status (see
 * {@link PROBLEM_TABLE}).
 */
export type ErrorCode =
  // RFC 8555 §6.7
  | 'accountDoesNotExist'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'compound'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired'
  // RFC 9773 (ARI) and the ACME profiles draft
  | 'alreadyReplaced'
  | 'invalidProfile'
  // internal codes with a specific HTTP status
  | 'notFound'
  | 'methodNotAllowed'
  | 'unsupportedMediaType'
  | 'conflict'
  | 'policyViolation'
  | 'badKey'
  | 'inactiveAccount'
  | 'unavailable';

/** How one error code is presented to an ACME client. */
export interface ProblemMapping {
  /** The ACME problem type suffix, after `urn:ietf:params:acme:error:`. */
  type: string;
  /** The HTTP status code. */
  status: number;
  /** Default detail when the error carries none. */
  detail: string;
}

/** The ACME error namespace (RFC 8555 §6.7). */
export const ACME_ERROR_NS = 'urn:ietf:params:acme:error:';

/**
 * The single table from error codes to ACME problem types, HTTP statuses and
 * default details (RFC 8555 §6.7, RFC 7807). Every problem document certwright
 * produces goes through it.
 */
export const PROBLEM_TABLE: Readonly<Record<ErrorCode, ProblemMapping>> = {
  accountDoesNotExist: { type: 'accountDoesNotExist', status: 400, detail: 'No account exists with the provided key' },
  alreadyRevoked: { type: 'alreadyRevoked', status: 400, detail: 'The certificate is already revoked' },
  badCSR: { type: 'badCSR', status: 400, detail: 'The CSR is unacceptable' },
  badNonce: { type: 'badNonce', status: 400, detail: 'The JWS carries an invalid or reused anti-replay nonce' },
  badPublicKey: { type: 'badPublicKey', status: 400, detail: 'The JWS was signed by a public key the server does not support' },
  badRevocationReason: { type: 'badRevocationReason', status: 400, detail: 'The revocation reason is not allowed' },
  badSignatureAlgorithm: { type: 'badSignatureAlgorithm', status: 400, detail: 'The JWS was signed with an algorithm the server does not support' },
  caa: { type: 'caa', status: 403, detail: 'Certification Authority Authorization (CAA) records forbid issuance' },
  compound: { type: 'compound', status: 400, detail: 'Several errors occurred; see the subproblems' },
  connection: { type: 'connection', status: 400, detail: 'The server could not connect to the validation target' },
  dns: { type: 'dns', status: 400, detail: 'There was a problem with a DNS query during validation' },
  externalAccountRequired: { type: 'externalAccountRequired', status: 400, detail: 'This server requires external account binding' },
  incorrectResponse: { type: 'incorrectResponse', status: 400, detail: 'The response received did not match the challenge' },
  invalidContact: { type: 'invalidContact', status: 400, detail: 'A contact URL for the account was invalid' },
  malformed: { type: 'malformed', status: 400, detail: 'The request message was malformed' },
  orderNotReady: { type: 'orderNotReady', status: 403, detail: 'The order is not in the ready state' },
  rateLimited: { type: 'rateLimited', status: 429, detail: 'The request exceeds a rate limit' },
  rejectedIdentifier: { type: 'rejectedIdentifier', status: 400, detail: 'The server will not issue certificates for the identifier' },
  serverInternal: { type: 'serverInternal', status: 500, detail: 'The server experienced an internal error' },
  tls: { type: 'tls', status: 400, detail: 'The server received a TLS error during validation' },
  unauthorized: { type: 'unauthorized', status: 403, detail: 'The client lacks sufficient authorization' },
  unsupportedContact: { type: 'unsupportedContact', status: 400, detail: 'A contact URL for the account used an unsupported protocol scheme' },
  unsupportedIdentifier: { type: 'unsupportedIdentifier', status: 400, detail: 'An identifier is of an unsupported type' },
  userActionRequired: { type: 'userActionRequired', status: 403, detail: 'Visit the "instance" URL and take the actions specified there' },
  alreadyReplaced: { type: 'alreadyReplaced', status: 409, detail: 'The certificate named in "replaces" has already been replaced' },
  invalidProfile: { type: 'invalidProfile', status: 400, detail: 'The requested certificate profile is not offered' },
  notFound: { type: 'malformed', status: 404, detail: 'The requested resource does not exist' },
  methodNotAllowed: { type: 'malformed', status: 405, detail: 'The method is not allowed for this resource' },
  unsupportedMediaType: { type: 'malformed', status: 415, detail: 'The request must use Content-Type application/jose+json' },
  conflict: { type: 'malformed', status: 409, detail: 'The request conflicts with the current state of the resource' },
  policyViolation: { type: 'rejectedIdentifier', status: 400, detail: 'The request violates the issuance policy' },
  badKey: { type: 'badCSR', status: 400, detail: 'The public key is not acceptable' },
  // RFC 8555 §7.3.6: a POST or POST-as-GET from a deactivated account MUST get 401 unauthorized.
  inactiveAccount: { type: 'unauthorized', status: 401, detail: 'The account is no longer valid' },
  // A dependency (the database) is down for a while: 503 with Retry-After (RFC 9110 §15.6.4), not a 500 for a bug.
  unavailable: { type: 'serverInternal', status: 503, detail: 'The server is temporarily unavailable; retry later' },
};

/** A per-identifier error inside a problem (RFC 8555 §6.7.1). */
export interface Subproblem {
  code: ErrorCode;
  detail: string;
  identifier: Identifier;
}

/** Options for {@link CertwrightError}. */
export interface CertwrightErrorOptions {
  subproblems?: Subproblem[];
  /** Seconds to put in a `Retry-After` header (rate limits, busy resources). */
  retryAfterSeconds?: number;
  /** Extra response headers, such as `Location` for a 409 on keyChange. */
  headers?: Record<string, string>;
  /** The underlying error; never shown to clients. */
  cause?: unknown;
  /** The "instance" URL for `userActionRequired` (RFC 8555 §7.3.3). */
  instance?: string;
  /**
   * Extra members for the problem document, such as `algorithms` on
   * `badSignatureAlgorithm` (RFC 8555 §6.2). They never replace `type`,
   * `detail`, `status`, `instance` or `subproblems`.
   */
  extra?: Readonly<Record<string, unknown>>;
}

/**
 * The error type of certwright. Every failure a client should see carries an
 * {@link ErrorCode} and a detail fit to show to the client. Anything thrown
 * that is not a `CertwrightError` is reported as `serverInternal` without its
 * message.
 */
export class CertwrightError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly subproblems: readonly Subproblem[];
  readonly retryAfterSeconds: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly instance: string | undefined;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, detail?: string, options: CertwrightErrorOptions = {}) {
    const text = detail ?? PROBLEM_TABLE[code].detail;
    super(text, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CertwrightError';
    this.code = code;
    this.detail = text;
    this.subproblems = options.subproblems ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
    this.instance = options.instance;
    this.extra = options.extra ?? {};
  }
}

/** Shorthand: throws-able `CertwrightError`. */
export function acmeError(code: ErrorCode, detail?: string, options?: CertwrightErrorOptions): CertwrightError {
  return new CertwrightError(code, detail, options);
}

/** True when `err` is a {@link CertwrightError}, optionally with the given code. */
export function isCertwrightError(err: unknown, code?: ErrorCode): err is CertwrightError {
  return err instanceof CertwrightError && (code === undefined || err.code === code);
}

/** An RFC 7807 problem document as ACME sends it (RFC 8555 §6.7). */
export interface ProblemDocument {
  type: string;
  detail: string;
  status: number;
  instance?: string;
  subproblems?: { type: string; detail: string; identifier: Identifier }[];
  /** The JWS algorithms the server accepts, on `badSignatureAlgorithm` (RFC 8555 §6.2). */
  algorithms?: string[];
}

const RESERVED_PROBLEM_MEMBERS = new Set(['type', 'detail', 'status', 'instance', 'subproblems']);

/** A problem ready to send: its status, headers and document. */
export interface Problem {
  status: number;
  headers: Record<string, string>;
  document: ProblemDocument;
}

/**
 * Turns any thrown value into an ACME problem. `CertwrightError`s keep their
 * detail; everything else becomes `serverInternal` with the default detail,
 * never the internal message.
 */
export function toProblem(err: unknown): Problem {
  const e = err instanceof CertwrightError ? err : new CertwrightError('serverInternal');
  const mapping = PROBLEM_TABLE[e.code];
  const document: ProblemDocument = { type: ACME_ERROR_NS + mapping.type, detail: e.detail, status: mapping.status };
  for (const [member, value] of Object.entries(e.extra)) {
    if (!RESERVED_PROBLEM_MEMBERS.has(member)) (document as unknown as Record<string, unknown>)[member] = value;
  }
  if (e.instance !== undefined) document.instance = e.instance;
  if (e.subproblems.length > 0) {
    document.subproblems = e.subproblems.map((s) => ({
      type: ACME_ERROR_NS + PROBLEM_TABLE[s.code].type,
      detail: s.detail,
      identifier: { type: s.identifier.type, value: s.identifier.value },
    }));
  }
  const headers: Record<string, string> = { ...e.headers };
  if (e.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(0, Math.ceil(e.retryAfterSeconds)));
  return { status: mapping.status, headers, document };
}

/**
 * Collects per-identifier failures into one error: a single subproblem
 * becomes that error with the identifier named in its detail; several become
 * a `compound` problem (or `fallback` when all share a code) with subproblems.
 */
export function combineSubproblems(subproblems: Subproblem[], fallback?: ErrorCode): CertwrightError {
  if (subproblems.length === 0) throw new RangeError('combineSubproblems: no subproblems');
  if (subproblems.length === 1) {
    const only = subproblems[0]!;
    return new CertwrightError(only.code, only.detail, { subproblems });
  }
  const codes = new Set(subproblems.map((s) => s.code));
  const code: ErrorCode = codes.size === 1 ? subproblems[0]!.code : (fallback ?? 'compound');
  const names = subproblems.map((s) => s.identifier.value).join(', ');
  return new CertwrightError(code, `Problems with ${subproblems.length} identifiers (${names}); see the subproblems`, { subproblems });
}
