/**
 * The leaf TBSCertificate builder: everything that depends only on the
 * issuer and the profile is encoded once when the builder is made (issuer
 * Name, signature AlgorithmIdentifier, key usage, EKU, basic constraints,
 * AKI, AIA, policies, must-staple, one cRLDistributionPoints per shard on
 * first use); per certificate only the serial, validity, subject, SPKI
 * (copied as-is), SKI and SAN are encoded.
 *
 * Extension order: keyUsage, extKeyUsage, basicConstraints,
 * subjectKeyIdentifier, authorityKeyIdentifier, authorityInfoAccess,
 * subjectAltName, certificatePolicies, cRLDistributionPoints, TLS feature,
 * then the CT poison or SCT list — last, so a precertificate and its final
 * certificate differ only in that slot (RFC 6962 §3.1).
 */
import { CertwrightError } from '../errors.js';
import type { Identifier } from '../identifier.js';
import { type Der, concatDer } from '../x509/der.js';
import {
  authorityInfoAccessExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  ctPoisonExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  mustStapleExtension,
  sctListExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
} from '../x509/extensions.js';
import { leafSubject } from '../x509/name.js';
import { keyIdentifierFromBits, parseSpki, type CertKeyType } from '../x509/spki.js';
import { encodeTbs } from '../x509/tbs.js';
import { crlShardForSerial, crlUrlFor, issuerUrl } from './crl-url.js';
import type { Issuer } from './issuer.js';
import type { Profile } from './profile.js';

/** Per-certificate inputs of a leaf TBS. */
export interface LeafTbsInput {
  /** Serial as big-endian unsigned bytes (positive; at most 20 octets once encoded). */
  serial: Uint8Array;
  /** The subject's SubjectPublicKeyInfo DER, from the CSR, copied as-is. */
  spki: Uint8Array;
  /** The identifiers to certify, in SAN order. */
  identifiers: readonly Identifier[];
  notBefore: Date;
  /** Inclusive. */
  notAfter: Date;
}

/** Which CT extension a TBS carries in its last slot. */
export type CtSlot = { kind: 'none' } | { kind: 'poison' } | { kind: 'scts'; sctList: Uint8Array };

/** A TBS plus the values the pipeline records with it. */
export interface BuiltLeafTbs {
  tbs: Uint8Array;
  /** The CRL shard the certificate points to (0 when the profile has no CRLs). */
  crlShard: number;
  /** The subject public key's type. */
  keyType: CertKeyType;
  /** The commonName placed in the subject, if any. */
  commonName: string | undefined;
}

/** Builds leaf TBSCertificates for one issuer and profile. */
export interface LeafTbsBuilder {
  readonly issuer: Issuer;
  readonly profile: Profile;
  /** The CRL shard a serial maps to under this profile (0 without CRLs). */
  crlShardFor(serial: Uint8Array): number;
  /** Builds a TBS with the given CT slot (default none). */
  build(input: LeafTbsInput, ct?: CtSlot): BuiltLeafTbs;
  /**
   * Builds the precertificate TBS, and returns a function giving the final
   * TBS for an SCT list: equal to the precertificate's except the poison ↔
   * SCT list swap, by construction.
   */
  buildCtPair(input: LeafTbsInput): { precertificate: BuiltLeafTbs; final(sctList: Uint8Array): BuiltLeafTbs };
}

const MAX_CN_LENGTH = 64;

/** Chooses the subject commonName: the first DNS identifier of at most 64 characters (RFC 5280 ub-common-name). */
function chooseCommonName(profile: Profile, identifiers: readonly Identifier[]): string | undefined {
  if (profile.commonName === 'omit') return undefined;
  return identifiers.find((id) => id.type === 'dns' && id.value.length <= MAX_CN_LENGTH)?.value;
}

/** Creates a {@link LeafTbsBuilder}, precomputing the static parts once. */
export function createLeafTbsBuilder(issuer: Issuer, profile: Profile): LeafTbsBuilder {
  const eku = extKeyUsageExtension(profile.extKeyUsageOids);
  const bc = basicConstraintsExtension({ ca: false });
  const kuFor = (rsa: boolean): Uint8Array =>
    profile.keyUsage === 'auto'
      ? keyUsageExtension(rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'])
      : keyUsageExtension(profile.keyUsage);
  const headRsa = concatDer(kuFor(true), eku, bc);
  const headOther = concatDer(kuFor(false), eku, bc);
  const aia =
    profile.ocspUrl !== undefined || profile.caIssuersUrl !== undefined
      ? authorityInfoAccessExtension({
          ...(profile.ocspUrl === undefined ? {} : { ocspUrls: [issuerUrl(profile.ocspUrl, issuer)] }),
          ...(profile.caIssuersUrl === undefined ? {} : { caIssuersUrls: [issuerUrl(profile.caIssuersUrl, issuer)] }),
        })
      : new Uint8Array(0);
  const middle = concatDer(issuer.akiExtension, aia);
  const policies = profile.policies.length > 0 ? certificatePoliciesExtension(profile.policies) : new Uint8Array(0);
  const tail = profile.mustStaple ? mustStapleExtension() : new Uint8Array(0);
  const poison = ctPoisonExtension();
  const shardCount = profile.crl?.shardCount ?? 1;
  const crlByShard = new Map<number, Uint8Array>();
  const crlExtension = (shard: number): Uint8Array => {
    let ext = crlByShard.get(shard);
    if (ext === undefined) {
      const url = crlUrlFor(profile, issuer, shard);
      ext = url === undefined ? new Uint8Array(0) : crlDistributionPointsExtension(url);
      crlByShard.set(shard, ext);
    }
    return ext;
  };
  const crlShardFor = (serial: Uint8Array): number => (profile.crl === undefined ? 0 : crlShardForSerial(serial, shardCount));

  const build = (input: LeafTbsInput, ct: CtSlot = { kind: 'none' }): BuiltLeafTbs => {
    const key = parseSpki(input.spki);
    const keyType = key.keyType;
    if (keyType === undefined || !profile.allowedKeyTypes.includes(keyType)) {
      throw new CertwrightError('badKey', `profile "${profile.name}" does not allow key type ${keyType ?? key.algorithmOid}`);
    }
    if (input.identifiers.length === 0) throw new CertwrightError('malformed', 'a certificate needs at least one identifier');
    if (profile.maxNames !== undefined && input.identifiers.length > profile.maxNames) {
      throw new CertwrightError('rejectedIdentifier', `profile "${profile.name}" allows at most ${profile.maxNames} identifiers, got ${input.identifiers.length}`);
    }
    const commonName = chooseCommonName(profile, input.identifiers);
    const crlShard = crlShardFor(input.serial);
    const extensions: Der[] = [key.family === 'rsa' ? headRsa : headOther];
    if (profile.includeSki) extensions.push(subjectKeyIdentifierExtension(keyIdentifierFromBits(key.subjectPublicKey)));
    extensions.push(middle, subjectAltNameExtension(input.identifiers, commonName === undefined), policies, crlExtension(crlShard), tail);
    if (ct.kind === 'poison') extensions.push(poison);
    else if (ct.kind === 'scts') extensions.push(sctListExtension(ct.sctList));
    const tbs = encodeTbs({
      serial: input.serial,
      signatureAlgorithm: issuer.signatureAlgorithmDer,
      issuer: issuer.subjectDer,
      notBefore: input.notBefore,
      notAfter: input.notAfter,
      subject: leafSubject(commonName),
      spki: input.spki,
      extensions,
    });
    return { tbs, crlShard, keyType, commonName };
  };

  return {
    issuer,
    profile,
    crlShardFor,
    build,
    buildCtPair(input) {
      const precertificate = build(input, { kind: 'poison' });
      return { precertificate, final: (sctList) => build(input, { kind: 'scts', sctList }) };
    },
  };
}
