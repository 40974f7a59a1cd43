/**
 * CA bootstrap: a self-signed root, intermediates under it, cross-signed
 * alternate chains, and import of an existing chain with its key. CA
 * serials are 16 random bytes, made positive (RFC 5280 §4.1.2.2).
 */
import type { Clock } from '../clock.js';
import { CertwrightError } from '../errors.js';
import type { Random } from '../random.js';
import type { Signer } from '../signer.js';
import { algorithmIdentifierDer } from '../signers/algorithms.js';
import { generateSoftwareSigner, softwareSignerFromPem, type SoftwareSignerPemOptions } from '../signers/software.js';
import { signTbs } from '../x509/certificate.js';
import { equalBytes, type Der } from '../x509/der.js';
import {
  authorityInfoAccessExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  nameConstraintsExtension,
  subjectKeyIdentifierExtension,
  type NameConstraints,
} from '../x509/extensions.js';
import { encodeName, type NameAttribute } from '../x509/name.js';
import { EKU_OIDS, EXTENSION_OIDS } from '../x509/oids.js';
import { pemBlocks } from '../x509/pem.js';
import { keyIdentifier, type CertKeyType } from '../x509/spki.js';
import { decodeTbs, encodeTbs } from '../x509/tbs.js';
import { splitSigned } from '../x509/certificate.js';
import { createIssuer, type Issuer, type IssuerStatus } from './issuer.js';

/** The key of a new CA: a key type to generate in software, or an existing signer (e.g. an HSM key). */
export type CaKey = { keyType: CertKeyType; signer?: undefined } | { signer: Signer; keyType?: undefined };

/** Options shared by CA certificate creation. */
interface CaCommon {
  /** The CA's subject, e.g. `[{ type: 'O', value: 'Example' }, { type: 'CN', value: 'Example Root' }]`. */
  subject: readonly NameAttribute[];
  /** Lifetime in seconds from the (backdated) notBefore, notAfter inclusive. */
  validitySeconds: number;
  /**
   * How far notBefore is set before now (default one day), so that leaves
   * backdated by their profile right after bootstrap still start within the
   * CA's validity.
   */
  backdateSeconds?: number;
  clock: Clock;
  random: Random;
  /** Stable issuer id (defaults to one derived from the key identifier). */
  id?: string;
}

/** Options for {@link createRootCa}. */
export type RootCaOptions = CaCommon & CaKey;

/** Options for {@link createIntermediateCa}. */
export type IntermediateCaOptions = CaCommon &
  CaKey & {
    /** The issuing root (or higher intermediate). */
    root: Issuer;
    /** basicConstraints pathLenConstraint (default 0: may issue only leaves). */
    pathLen?: number;
    nameConstraints?: NameConstraints;
    /** EKUs of the intermediate (default serverAuth and clientAuth, as the Baseline Requirements §7.1.2.2 expect). */
    extKeyUsages?: readonly string[];
    /** Policy OIDs for the intermediate's certificatePolicies. */
    policies?: readonly string[];
    /** The parent's OCSP responder URL, placed in authorityInfoAccess. */
    ocspUrl?: string;
    /** Where the parent's certificate can be fetched, placed in authorityInfoAccess. */
    caIssuersUrl?: string;
    /** The parent's CRL URL, placed in cRLDistributionPoints. */
    crlUrl?: string;
  };

/** Sixteen random bytes with the top bit cleared (positive) and not all zero. */
export function caSerial(random: Random): Uint8Array {
  const serial = random.bytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial;
}

async function signerFor(key: CaKey): Promise<Signer> {
  if (key.signer !== undefined) return key.signer;
  return generateSoftwareSigner(key.keyType);
}

/** Default backdating of CA certificates: one day. */
export const CA_BACKDATE_SECONDS = 86400;

function validity(clock: Clock, validitySeconds: number, backdateSeconds = CA_BACKDATE_SECONDS): { notBefore: Date; notAfter: Date } {
  if (!Number.isInteger(validitySeconds) || validitySeconds < 1) throw new CertwrightError('serverInternal', 'CA validitySeconds must be a positive integer');
  if (!Number.isInteger(backdateSeconds) || backdateSeconds < 0) throw new CertwrightError('serverInternal', 'CA backdateSeconds must be a non-negative integer');
  const notBefore = new Date(Math.floor((clock.now().getTime() - backdateSeconds * 1000) / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + (validitySeconds - 1) * 1000) };
}

function checkWithinParent(parent: Issuer, notAfter: Date): void {
  if (notAfter.getTime() > parent.notAfter.getTime()) {
    throw new CertwrightError('serverInternal', `CA certificate notAfter ${notAfter.toISOString()} would be after issuer ${parent.id} notAfter ${parent.notAfter.toISOString()}`);
  }
}

/** authorityInfoAccess and cRLDistributionPoints for the URLs given, if any. */
function issuerLocationExtensions(urls: { ocspUrl?: string; caIssuersUrl?: string; crlUrl?: string }): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (urls.ocspUrl !== undefined || urls.caIssuersUrl !== undefined) {
    out.push(
      authorityInfoAccessExtension({
        ...(urls.ocspUrl === undefined ? {} : { ocspUrls: [urls.ocspUrl] }),
        ...(urls.caIssuersUrl === undefined ? {} : { caIssuersUrls: [urls.caIssuersUrl] }),
      }),
    );
  }
  if (urls.crlUrl !== undefined) out.push(crlDistributionPointsExtension(urls.crlUrl));
  return out;
}

/**
 * Creates a self-signed root: basicConstraints CA (critical, no path
 * length), keyUsage keyCertSign + cRLSign (critical), SKI; no AKI.
 */
export async function createRootCa(options: RootCaOptions): Promise<Issuer> {
  const signer = await signerFor(options);
  const subject = encodeName(options.subject);
  const { notBefore, notAfter } = validity(options.clock, options.validitySeconds, options.backdateSeconds);
  const algorithm = algorithmIdentifierDer(signer.algorithm);
  const tbs = encodeTbs({
    serial: caSerial(options.random),
    signatureAlgorithm: algorithm,
    issuer: subject,
    notBefore,
    notAfter,
    subject,
    spki: signer.publicKeySpki,
    extensions: [
      basicConstraintsExtension({ ca: true }),
      keyUsageExtension(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifierExtension(keyIdentifier(signer.publicKeySpki)),
    ],
  });
  const certificate = await signTbs(tbs, algorithm, signer);
  return createIssuer({ certificate, signer, ...(options.id === undefined ? {} : { id: options.id }) });
}

/**
 * Creates an intermediate signed by `root`: basicConstraints CA with
 * pathLen (default 0), keyUsage digitalSignature + keyCertSign + cRLSign
 * (digitalSignature so it may sign OCSP responses itself, RFC 6960
 * §4.2.2.2), EKU, SKI, AKI, and optional AIA, CRL DP, policies and name
 * constraints. Refuses a lifetime beyond the root's.
 */
export async function createIntermediateCa(options: IntermediateCaOptions): Promise<Issuer> {
  const signer = await signerFor(options);
  const { root } = options;
  const { notBefore, notAfter } = validity(options.clock, options.validitySeconds, options.backdateSeconds);
  checkWithinParent(root, notAfter);
  const extensions: Der[] = [
    basicConstraintsExtension({ ca: true, pathLen: options.pathLen ?? 0 }),
    keyUsageExtension(['digitalSignature', 'keyCertSign', 'cRLSign']),
    extKeyUsageExtension(options.extKeyUsages ?? [EKU_OIDS.serverAuth, EKU_OIDS.clientAuth]),
    subjectKeyIdentifierExtension(keyIdentifier(signer.publicKeySpki)),
    root.akiExtension,
  ];
  extensions.push(...issuerLocationExtensions(options));
  if (options.policies !== undefined && options.policies.length > 0) extensions.push(certificatePoliciesExtension(options.policies));
  if (options.nameConstraints !== undefined) extensions.push(nameConstraintsExtension(options.nameConstraints));
  const tbs = encodeTbs({
    serial: caSerial(options.random),
    signatureAlgorithm: root.signatureAlgorithmDer,
    issuer: root.subjectDer,
    notBefore,
    notAfter,
    subject: encodeName(options.subject),
    spki: signer.publicKeySpki,
    extensions,
  });
  const certificate = await signTbs(tbs, root.signatureAlgorithmDer, root.signer);
  return createIssuer({ certificate, signer, chain: root.chain, ...(options.id === undefined ? {} : { id: options.id }) });
}

/** Options for {@link crossSign}. */
export interface CrossSignOptions {
  /** The CA to certify again (its subject, key and extensions are kept). */
  subject: Issuer;
  /** The second root (or intermediate) that signs the cross certificate. */
  by: Issuer;
  validitySeconds: number;
  /** See {@link RootCaOptions}; default one day. */
  backdateSeconds?: number;
  clock: Clock;
  random: Random;
  /** OCSP responder of `by`, placed in authorityInfoAccess. */
  ocspUrl?: string;
  /** Where `by`'s certificate can be fetched, placed in authorityInfoAccess. */
  caIssuersUrl?: string;
  /** `by`'s CRL URL, placed in cRLDistributionPoints. */
  crlUrl?: string;
}

/**
 * Certifies an existing CA's subject and key under a second issuer and
 * returns the alternate chain `[crossCertificate, ...by.chain]`. The cross
 * certificate keeps the original's extensions except those describing its
 * issuer (AKI, authorityInfoAccess, cRLDistributionPoints), which are
 * replaced by `by`'s. Pass the chain to {@link withAlternateChain}.
 */
export async function crossSign(options: CrossSignOptions): Promise<Uint8Array[]> {
  const { subject, by } = options;
  const { notBefore, notAfter } = validity(options.clock, options.validitySeconds, options.backdateSeconds);
  checkWithinParent(by, notAfter);
  const original = decodeTbs(splitSigned(subject.certificate).tbs);
  const issuerSpecific = new Set<string>([EXTENSION_OIDS.authorityKeyIdentifier, EXTENSION_OIDS.authorityInfoAccess, EXTENSION_OIDS.cRLDistributionPoints]);
  const extensions: Der[] = original.extensions.filter((e) => !issuerSpecific.has(e.oid)).map((e) => e.der);
  extensions.push(by.akiExtension, ...issuerLocationExtensions(options));
  const tbs = encodeTbs({
    serial: caSerial(options.random),
    signatureAlgorithm: by.signatureAlgorithmDer,
    issuer: by.subjectDer,
    notBefore,
    notAfter,
    subject: original.subject,
    spki: original.spki,
    extensions,
  });
  const certificate = await signTbs(tbs, by.signatureAlgorithmDer, by.signer);
  return [certificate, ...by.chain];
}

/** A copy of `issuer` with one more alternate chain. */
export function withAlternateChain(issuer: Issuer, chain: readonly Uint8Array[]): Issuer {
  return createIssuer({
    certificate: issuer.certificate,
    signer: issuer.signer,
    chain: issuer.chain.slice(1),
    alternateChains: [...issuer.alternateChains, chain],
    status: issuer.status,
    id: issuer.id,
  });
}

/** Options for {@link importIssuer}. */
export interface ImportIssuerOptions {
  /** PEM `CERTIFICATE` blocks: the issuer certificate first, then up to its root. */
  chainPem: string;
  /** The issuer's private key in PEM, or… */
  keyPem?: string;
  /** …a signer holding it (HSM). */
  signer?: Signer;
  /** Options for decrypting `keyPem`. */
  keyOptions?: SoftwareSignerPemOptions;
  id?: string;
  status?: IssuerStatus;
}

/**
 * Imports an existing CA from a PEM chain and its key. Checks that each
 * certificate's issuer Name equals the next one's subject; the key check is
 * {@link createIssuer}'s. Errors are `serverInternal` naming the problem.
 */
export function importIssuer(options: ImportIssuerOptions): Issuer {
  const certs = pemBlocks(options.chainPem).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
  if (certs.length === 0) throw new CertwrightError('serverInternal', 'import: no CERTIFICATE block in chainPem');
  const tbsList = certs.map((c) => decodeTbs(splitSigned(c).tbs));
  for (let i = 0; i + 1 < tbsList.length; i++) {
    const issuerName = tbsList[i]!.issuer;
    const next = tbsList[i + 1]!.subject;
    if (!equalBytes(issuerName, next)) {
      throw new CertwrightError('serverInternal', `import: certificate ${i} is not issued by certificate ${i + 1} (names differ)`);
    }
  }
  let signer = options.signer;
  if (signer === undefined) {
    if (options.keyPem === undefined) throw new CertwrightError('serverInternal', 'import: pass keyPem or signer');
    signer = softwareSignerFromPem(options.keyPem, options.keyOptions);
  }
  return createIssuer({
    certificate: certs[0]!,
    chain: certs.slice(1),
    signer,
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.status === undefined ? {} : { status: options.status }),
  });
}
