/**
 * Issuance profiles: named, plain-data descriptions of what a leaf
 * certificate looks like (validity, key usages, names, revocation URLs,
 * policies, allowed key types), validated once at construction.
 */
import { CertwrightError } from '../errors.js';
import { type KeyUsage, KEY_USAGE_BITS } from '../x509/extensions.js';
import { EKU_OIDS, POLICY_OIDS } from '../x509/oids.js';
import { CERT_KEY_TYPES, type CertKeyType } from '../x509/spki.js';

/** An extended key usage: a name from {@link EKU_OIDS} or a dotted OID. */
export type ExtKeyUsageName = keyof typeof EKU_OIDS | (string & {});

/** Where a profile's certificates point for CRLs (RFC 5280 §4.2.1.13). */
export interface ProfileCrl {
  /**
   * URL template with `{issuerId}` and `{shard}` placeholders, e.g.
   * `http://crl.example.com/{issuerId}/{shard}.crl`. Exclusive with `baseUrl`.
   */
  urlTemplate?: string;
  /** Shorthand for the template `<baseUrl>/{issuerId}/{shard}.crl`. */
  baseUrl?: string;
  /** Number of CRL shards per issuer (≥ 1). */
  shardCount: number;
}

/** A profile as configured (see {@link defineProfile}). */
export interface ProfileInput {
  name: string;
  description?: string;
  /** Maximum lifetime in seconds, notAfter inclusive (RFC 5280 §4.1.2.5). */
  validitySeconds: number;
  /** How far notBefore is set before the issuance time (clock skew allowance). */
  backdateSeconds: number;
  /** `'auto'`: digitalSignature, plus keyEncipherment for RSA keys. */
  keyUsage: 'auto' | readonly KeyUsage[];
  extKeyUsages: readonly ExtKeyUsageName[];
  /** Put the first SAN in the subject commonName, or leave the subject empty. */
  commonName: 'omit' | 'firstSan';
  includeSki: boolean;
  /** OCSP responder URL; `{issuerId}` is replaced with the issuer id. */
  ocspUrl?: string;
  /** CA issuers URL; `{issuerId}` is replaced with the issuer id. */
  caIssuersUrl?: string;
  crl?: ProfileCrl;
  /** Certificate policy OIDs (e.g. 2.23.140.1.2.1 domain-validated). */
  policies: readonly string[];
  /** Add the TLS Feature status_request extension (RFC 7633). */
  mustStaple: boolean;
  allowedKeyTypes: readonly CertKeyType[];
  /** Maximum number of identifiers in one certificate. */
  maxNames?: number;
}

/** A validated profile: the input, frozen, with OIDs resolved. */
export interface Profile extends Readonly<ProfileInput> {
  /** Extended key usages as dotted OIDs. */
  readonly extKeyUsageOids: readonly string[];
  /** The CRL URL template with placeholders, when CRLs are configured. */
  readonly crlUrlTemplate?: string;
}

const OID_RE = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const URL_RE = /^https?:\/\/[^\s]+$/;

function bad(profile: string, field: string, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `profile "${profile}": field ${field} ${rule}`);
}

/**
 * Validates a profile and returns it frozen. Throws a `serverInternal`
 * {@link CertwrightError} whose detail names the profile and the bad field.
 */
export function defineProfile(input: ProfileInput): Profile {
  const name = input.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw bad(String(name), 'name', 'must be 1–64 characters of letters, digits, ".", "_" or "-"');
  }
  if (!Number.isInteger(input.validitySeconds) || input.validitySeconds < 1) throw bad(name, 'validitySeconds', 'must be a positive integer');
  if (!Number.isInteger(input.backdateSeconds) || input.backdateSeconds < 0 || input.backdateSeconds >= input.validitySeconds) {
    throw bad(name, 'backdateSeconds', 'must be a non-negative integer below validitySeconds');
  }
  if (input.keyUsage !== 'auto') {
    if (!Array.isArray(input.keyUsage) || input.keyUsage.length === 0) throw bad(name, 'keyUsage', "must be 'auto' or a non-empty list");
    for (const u of input.keyUsage) if (!(u in KEY_USAGE_BITS)) throw bad(name, 'keyUsage', `has unknown usage ${String(u)}`);
    if (input.keyUsage.includes('keyCertSign') || input.keyUsage.includes('cRLSign')) throw bad(name, 'keyUsage', 'must not contain CA usages for a leaf');
  }
  if (input.extKeyUsages.length === 0) throw bad(name, 'extKeyUsages', 'must not be empty');
  const extKeyUsageOids = input.extKeyUsages.map((e) => {
    const resolved = (EKU_OIDS as Record<string, string>)[e] ?? e;
    if (!OID_RE.test(resolved)) throw bad(name, 'extKeyUsages', `has unknown purpose ${e}`);
    return resolved;
  });
  if (input.commonName !== 'omit' && input.commonName !== 'firstSan') throw bad(name, 'commonName', "must be 'omit' or 'firstSan'");
  for (const field of ['ocspUrl', 'caIssuersUrl'] as const) {
    const url = input[field];
    if (url !== undefined && !URL_RE.test(url)) throw bad(name, field, 'must be an http(s) URL');
  }
  let crlUrlTemplate: string | undefined;
  if (input.crl !== undefined) {
    const { urlTemplate, baseUrl, shardCount } = input.crl;
    if ((urlTemplate === undefined) === (baseUrl === undefined)) throw bad(name, 'crl', 'needs exactly one of urlTemplate and baseUrl');
    crlUrlTemplate = urlTemplate ?? `${baseUrl!.replace(/\/+$/, '')}/{issuerId}/{shard}.crl`;
    if (!URL_RE.test(crlUrlTemplate)) throw bad(name, 'crl.urlTemplate', 'must be an http(s) URL');
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 65536) throw bad(name, 'crl.shardCount', 'must be an integer from 1 to 65536');
    if (shardCount > 1 && !crlUrlTemplate.includes('{shard}')) throw bad(name, 'crl.urlTemplate', 'must contain {shard} when shardCount > 1');
  }
  for (const p of input.policies) if (!OID_RE.test(p)) throw bad(name, 'policies', `has invalid OID ${p}`);
  if (typeof input.mustStaple !== 'boolean') throw bad(name, 'mustStaple', 'must be a boolean');
  if (typeof input.includeSki !== 'boolean') throw bad(name, 'includeSki', 'must be a boolean');
  if (input.allowedKeyTypes.length === 0) throw bad(name, 'allowedKeyTypes', 'must not be empty');
  for (const k of input.allowedKeyTypes) if (!CERT_KEY_TYPES.includes(k)) throw bad(name, 'allowedKeyTypes', `has unknown key type ${String(k)}`);
  if (input.maxNames !== undefined && (!Number.isInteger(input.maxNames) || input.maxNames < 1)) throw bad(name, 'maxNames', 'must be a positive integer');
  const profile: Profile = {
    ...input,
    keyUsage: input.keyUsage === 'auto' ? 'auto' : Object.freeze([...input.keyUsage]),
    extKeyUsages: Object.freeze([...input.extKeyUsages]),
    policies: Object.freeze([...input.policies]),
    allowedKeyTypes: Object.freeze([...input.allowedKeyTypes]),
    extKeyUsageOids: Object.freeze(extKeyUsageOids),
    ...(input.crl === undefined ? {} : { crl: Object.freeze({ ...input.crl }), crlUrlTemplate }),
  };
  return Object.freeze(profile);
}

/** Every key type, for profiles that accept them all. */
const ALL_KEY_TYPES: readonly CertKeyType[] = CERT_KEY_TYPES;

/**
 * Two sensible profiles: `default` (90 days, serverAuth + clientAuth, CN from
 * the first SAN, SKI, domain-validated policy) and `shortlived` (160 hours,
 * serverAuth, empty subject). Neither has revocation URLs: add `ocspUrl` or
 * `crl` with {@link defineProfile} for a CA that publishes them.
 */
export function defaultProfiles(): Profile[] {
  return [
    defineProfile({
      name: 'default',
      description: '90-day TLS server and client certificate',
      validitySeconds: 90 * 86400,
      backdateSeconds: 3600,
      keyUsage: 'auto',
      extKeyUsages: ['serverAuth', 'clientAuth'],
      commonName: 'firstSan',
      includeSki: true,
      policies: [POLICY_OIDS.domainValidated],
      mustStaple: false,
      allowedKeyTypes: ALL_KEY_TYPES,
      maxNames: 100,
    }),
    defineProfile({
      name: 'shortlived',
      description: '160-hour TLS server certificate without a subject',
      validitySeconds: 160 * 3600,
      backdateSeconds: 3600,
      keyUsage: 'auto',
      extKeyUsages: ['serverAuth'],
      commonName: 'omit',
      includeSki: false,
      policies: [POLICY_OIDS.domainValidated],
      mustStaple: false,
      allowedKeyTypes: ALL_KEY_TYPES,
      maxNames: 25,
    }),
  ];
}

/** A certificate's validity period, both ends inclusive (RFC 5280 §4.1.2.5). */
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** Rounds down to the whole second. */
export function truncateToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/**
 * The validity of a certificate issued `now` under `profile`: notBefore =
 * now − backdate (to the second, but not before the issuer's notBefore),
 * notAfter = notBefore + validity − 1 s.
 * Explicit `requested` bounds (from an order) are accepted within the
 * profile's maximum lifetime and must not start before now − backdate
 * (`malformed` otherwise). A notAfter beyond `issuerNotAfter` is refused
 * with `serverInternal` rather than shortened, as Boulder does.
 */
export function computeValidity(
  profile: Profile,
  issuer: { id: string; notBefore?: Date; notAfter: Date },
  now: Date,
  requested: { notBefore?: Date; notAfter?: Date } = {},
): Validity {
  const backdated = truncateToSecond(new Date(now.getTime() - profile.backdateSeconds * 1000));
  // Backdating never reaches before the issuer's own notBefore.
  const earliest = issuer.notBefore !== undefined && issuer.notBefore.getTime() > backdated.getTime() ? issuer.notBefore : backdated;
  const notBefore = requested.notBefore === undefined ? earliest : truncateToSecond(requested.notBefore);
  if (notBefore.getTime() < earliest.getTime()) {
    throw new CertwrightError('malformed', `requested notBefore ${notBefore.toISOString()} is earlier than allowed (${earliest.toISOString()})`);
  }
  const maxNotAfter = notBefore.getTime() + (profile.validitySeconds - 1) * 1000;
  const notAfter = requested.notAfter === undefined ? new Date(maxNotAfter) : truncateToSecond(requested.notAfter);
  if (notAfter.getTime() < notBefore.getTime()) throw new CertwrightError('malformed', 'requested notAfter is before notBefore');
  if (notAfter.getTime() > maxNotAfter) {
    throw new CertwrightError('malformed', `requested validity exceeds profile "${profile.name}" maximum of ${profile.validitySeconds} seconds`);
  }
  if (notAfter.getTime() > issuer.notAfter.getTime()) {
    throw new CertwrightError(
      'serverInternal',
      `certificate notAfter ${notAfter.toISOString()} would be after issuer ${issuer.id} notAfter ${issuer.notAfter.toISOString()}`,
    );
  }
  return { notBefore, notAfter };
}
