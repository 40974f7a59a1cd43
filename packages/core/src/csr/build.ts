import type { Identifier } from '../identifier.js';
import type { Signer } from '../signer.js';
import { algorithmIdentifierDer } from '../signers/algorithms.js';
import { bitString, encodeDer, implicitConstructed, integer, oid, sequence, setOf, type Der } from '../x509/der.js';
import { subjectAltNameExtension } from '../x509/extensions.js';
import { encodeName, leafSubject, type NameAttribute } from '../x509/name.js';

const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';

/** What to put in a certificate request built by {@link buildCsr}. */
export interface CsrInput {
  /** Signs the request; its public key becomes the request's subjectPublicKeyInfo. */
  signer: Signer;
  /** Names for the subjectAltName extension request (RFC 2985 §5.4.2); may be empty for a CA request. */
  identifiers?: readonly Identifier[];
  /** A subject with just a commonName (leaf requests). */
  commonName?: string;
  /** A full subject (CA requests); takes precedence over `commonName`. */
  subject?: readonly NameAttribute[];
}

/**
 * Builds and signs a PKCS#10 CertificationRequest (RFC 2986 §4) in DER: for
 * ACME finalize requests in tests and load generators, and for intermediate
 * CA requests whose key lives in an HSM (the request is signed through the
 * {@link Signer}, so the key never leaves it).
 */
export async function buildCsr(input: CsrInput): Promise<Uint8Array> {
  const subject = input.subject !== undefined ? encodeName(input.subject) : leafSubject(input.commonName);
  const identifiers = input.identifiers ?? [];
  const attributes: Der[] = [];
  if (identifiers.length > 0) {
    const extensions = sequence(subjectAltNameExtension(identifiers, input.commonName === undefined && input.subject === undefined));
    attributes.push(sequence(oid(EXTENSION_REQUEST_OID), setOf(extensions)));
  }
  const info = encodeDer(sequence(integer(0), subject, input.signer.publicKeySpki, implicitConstructed(0, ...attributes)));
  const signature = await input.signer.sign(info);
  return encodeDer(sequence(info, algorithmIdentifierDer(input.signer.algorithm), bitString(signature)));
}

