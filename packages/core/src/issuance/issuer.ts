/**
 * Issuers: a CA certificate with the {@link Signer} of its key, and the
 * values derived from it once (subject Name DER, key identifier, the AKI
 * extension of what it issues, OCSP CertID hashes). An {@link IssuerSet}
 * holds several: one active issuer per key type issues; retired ones still
 * sign OCSP responses and CRLs for what they issued.
 */
import { createHash } from 'node:crypto';
import { CertwrightError } from '../errors.js';
import type { Signer } from '../signer.js';
import { algorithmIdentifierDer } from '../signers/algorithms.js';
import { equalBytes } from '../x509/der.js';
import { bitIsSet, readBitString, readSingle, children, readBoolean, valueOf } from '../x509/der-reader.js';
import { authorityKeyIdentifierExtension } from '../x509/extensions.js';
import { EXTENSION_OIDS } from '../x509/oids.js';
import { keyIdentifierFromBits, parseSpki, type CertKeyType } from '../x509/spki.js';
import { decodeTbs } from '../x509/tbs.js';
import { splitSigned } from '../x509/certificate.js';

/** Whether an issuer issues new certificates or only signs status for old ones. */
export type IssuerStatus = 'active' | 'retired';

/** Hashes of an issuer for OCSP CertID (RFC 6960 §4.1.1). */
export interface IssuerHashes {
  /** Hash of the issuer's subject Name DER. */
  nameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING value (without tag, length and unused-bits octet). */
  keyHash: Uint8Array;
}

/** A CA that can sign. Construct with {@link createIssuer}. */
export interface Issuer {
  /** Stable identifier (configured, or the first 8 octets of the key identifier in hex). */
  readonly id: string;
  readonly status: IssuerStatus;
  /** The issuer's certificate, DER. */
  readonly certificate: Uint8Array;
  /** The certificate path from this issuer's certificate (first) up to its root (last). */
  readonly chain: readonly Uint8Array[];
  /** Other paths for the same issuer (e.g. through a cross-signed certificate), same shape as `chain`. */
  readonly alternateChains: readonly (readonly Uint8Array[])[];
  readonly signer: Signer;
  /** The key type of the issuer's own key. */
  readonly keyType: CertKeyType;
  /** The certificate's subject Name DER: the `issuer` field of what it signs. */
  readonly subjectDer: Uint8Array;
  /** The certificate's SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** The key identifier: the certificate's SKI extension when present, else computed (RFC 7093 §2 method 1). */
  readonly keyId: Uint8Array;
  /** The authorityKeyIdentifier extension for certificates it issues, precomputed. */
  readonly akiExtension: Uint8Array;
  /** The signature AlgorithmIdentifier DER for what it signs. */
  readonly signatureAlgorithmDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** OCSP CertID hashes with SHA-1 (the RFC 5019 default) and SHA-256. */
  readonly hashes: { readonly sha1: IssuerHashes; readonly sha256: IssuerHashes };
}

/** Input for {@link createIssuer}. */
export interface IssuerOptions {
  certificate: Uint8Array;
  signer: Signer;
  /** Certificates above `certificate`, up to the root (the root itself included unless `certificate` is the root). */
  chain?: readonly Uint8Array[];
  /** Alternate paths, each starting with a certificate for the same subject and key. */
  alternateChains?: readonly (readonly Uint8Array[])[];
  status?: IssuerStatus;
  id?: string;
}

/** The key identifier of a CA certificate: its SKI extension when present, else computed (RFC 7093 §2 method 1). */
function certificateKeyId(tbs: ReturnType<typeof decodeTbs>, subjectPublicKey: Uint8Array): Uint8Array {
  const skiExt = tbs.extensions.find((e) => e.oid === EXTENSION_OIDS.subjectKeyIdentifier);
  return skiExt !== undefined ? new Uint8Array(valueOf(readSingle(skiExt.value))) : keyIdentifierFromBits(subjectPublicKey);
}

const idFromKeyId = (keyId: Uint8Array): string => Buffer.from(keyId.subarray(0, 8)).toString('hex');

/**
 * The id {@link createIssuer} gives an issuer when none is configured: the
 * first 8 octets of its certificate's key identifier, in hex. Lets a host
 * find what it recorded about an issuer (its status, say) before it has
 * the issuer's key at hand.
 */
export function defaultIssuerId(certificate: Uint8Array): string {
  const tbs = decodeTbs(splitSigned(certificate).tbs);
  return idFromKeyId(certificateKeyId(tbs, parseSpki(tbs.spki).subjectPublicKey));
}

function fail(id: string, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `issuer ${id}: ${rule}`);
}

/**
 * Builds an {@link Issuer}, checking that the certificate is a CA
 * certificate (basicConstraints cA, keyCertSign) and that the signer's
 * public key is the certificate's. Errors are `serverInternal` naming the issuer.
 */
export function createIssuer(options: IssuerOptions): Issuer {
  const parts = splitSigned(options.certificate);
  const tbs = decodeTbs(parts.tbs);
  const spkiInfo = parseSpki(tbs.spki);
  const keyId = certificateKeyId(tbs, spkiInfo.subjectPublicKey);
  const id = options.id ?? idFromKeyId(keyId);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw fail(id, 'id must be 1–64 URL-safe characters');
  if (spkiInfo.keyType === undefined) throw fail(id, 'key type is not supported');
  const bc = tbs.extensions.find((e) => e.oid === EXTENSION_OIDS.basicConstraints);
  const bcFields = bc === undefined ? [] : children(readSingle(bc.value));
  if (bcFields[0] === undefined || bcFields[0].tag !== 0x01 || !readBoolean(bcFields[0])) throw fail(id, 'certificate is not a CA (basicConstraints cA is not TRUE)');
  const ku = tbs.extensions.find((e) => e.oid === EXTENSION_OIDS.keyUsage);
  if (ku === undefined || !bitIsSet(readBitString(readSingle(ku.value)), 5)) throw fail(id, 'certificate keyUsage lacks keyCertSign');
  if (!equalBytes(options.signer.publicKeySpki, tbs.spki)) throw fail(id, "signer public key does not match the certificate's subjectPublicKeyInfo");
  const hashes = (alg: 'sha1' | 'sha256'): IssuerHashes => ({
    nameHash: new Uint8Array(createHash(alg).update(tbs.subject).digest()),
    keyHash: new Uint8Array(createHash(alg).update(spkiInfo.subjectPublicKey).digest()),
  });
  const isRoot = equalBytes(tbs.subject, tbs.issuer);
  const chain = [options.certificate, ...(options.chain ?? [])];
  if (!isRoot && chain.length < 2) throw fail(id, 'chain must reach a root for a non-root certificate');
  return Object.freeze({
    id,
    status: options.status ?? 'active',
    certificate: options.certificate,
    chain: Object.freeze(chain),
    alternateChains: Object.freeze((options.alternateChains ?? []).map((c) => Object.freeze([...c]))),
    signer: options.signer,
    keyType: spkiInfo.keyType,
    subjectDer: new Uint8Array(tbs.subject),
    spki: new Uint8Array(tbs.spki),
    keyId,
    akiExtension: authorityKeyIdentifierExtension(keyId),
    signatureAlgorithmDer: algorithmIdentifierDer(options.signer.algorithm),
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
    hashes: Object.freeze({ sha1: hashes('sha1'), sha256: hashes('sha256') }),
  });
}

/** Several issuers: at most one active per key type, any looked up by id or OCSP hashes. */
export class IssuerSet {
  readonly #byId = new Map<string, Issuer>();
  readonly #active = new Map<CertKeyType, Issuer>();

  /** Throws `serverInternal` on duplicate ids or two active issuers of one key type. */
  constructor(issuers: readonly Issuer[]) {
    for (const issuer of issuers) {
      if (this.#byId.has(issuer.id)) throw fail(issuer.id, 'duplicate issuer id');
      this.#byId.set(issuer.id, issuer);
      if (issuer.status === 'active') {
        const other = this.#active.get(issuer.keyType);
        if (other !== undefined) throw fail(issuer.id, `second active issuer for key type ${issuer.keyType} (already ${other.id})`);
        this.#active.set(issuer.keyType, issuer);
      }
    }
  }

  /** Every issuer, active and retired. */
  all(): Issuer[] {
    return [...this.#byId.values()];
  }

  /** The active issuer whose own key is of `keyType`, if any. */
  activeFor(keyType: CertKeyType): Issuer | undefined {
    return this.#active.get(keyType);
  }

  /** Key types with an active issuer. */
  activeKeyTypes(): CertKeyType[] {
    return [...this.#active.keys()];
  }

  /** Any issuer (active or retired) by id. */
  byId(id: string): Issuer | undefined {
    return this.#byId.get(id);
  }

  /** Any issuer by OCSP CertID issuerNameHash and issuerKeyHash (RFC 6960 §4.1.1). */
  byHashes(algorithm: 'sha1' | 'sha256', nameHash: Uint8Array, keyHash: Uint8Array): Issuer | undefined {
    for (const issuer of this.#byId.values()) {
      const h = issuer.hashes[algorithm];
      if (equalBytes(h.nameHash, nameHash) && equalBytes(h.keyHash, keyHash)) return issuer;
    }
    return undefined;
  }
}
