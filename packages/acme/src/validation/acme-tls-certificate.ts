/**
 * Checking the certificate a tls-alpn-01 responder presents (RFC 8737 §3),
 * parsed with certwright's own strict DER reader:
 * - it is self-signed (issuer equals subject and the signature verifies
 *   under its own key); trust is not checked;
 * - it has exactly one subjectAltName entry, a dNSName or iPAddress equal
 *   to the identifier;
 * - it has the `id-pe-acmeIdentifier` extension (1.3.6.1.5.5.7.1.31)
 *   exactly once, marked critical, holding an OCTET STRING with
 *   SHA-256(key authorization); the obsolete draft OID 1.3.6.1.5.5.7.1.30.1
 *   is refused.
 * Every refusal is `incorrectResponse` naming the rule.
 * @module
 */
import { CertwrightError, EXTENSION_OIDS, decodeTbs, derReader, parseIp, signatureAlgorithmFromDer, splitSigned, verifySignature } from '@certwright/core';
import type { DecodedExtension, Identifier } from '@certwright/core';
import { keyAuthorizationDigest } from './key-authorization-digest.js';

/** The acmeIdentifier extension (RFC 8737 §6.1). */
export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
/** The pre-RFC draft OID, which must not be accepted (RFC 8737 §6.1 replaced it). */
export const LEGACY_ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.30.1';

const DNS_NAME_TAG = 0x82;
const IP_ADDRESS_TAG = 0x87;
const OCTET_STRING_TAG = 0x04;

function refuse(rule: string): never {
  throw new CertwrightError('incorrectResponse', `Incorrect tls-alpn-01 certificate: ${rule}`);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function only(extensions: readonly DecodedExtension[], oid: string, what: string): DecodedExtension | undefined {
  const found = extensions.filter((e) => e.oid === oid);
  if (found.length > 1) refuse(`the ${what} extension appears ${found.length} times`);
  return found[0];
}

function describeName(tag: number, content: Uint8Array): string {
  if (tag === DNS_NAME_TAG) return `dNSName ${JSON.stringify(Buffer.from(content).toString('latin1'))}`;
  if (tag === IP_ADDRESS_TAG) return `iPAddress of ${content.length} bytes`;
  return `GeneralName with tag 0x${tag.toString(16)}`;
}

function checkSubjectAltName(extension: DecodedExtension | undefined, identifier: Identifier): void {
  if (extension === undefined) refuse('it has no subjectAltName extension');
  const names = derReader.children(derReader.expectTag(derReader.readSingle(extension.value), 0x30, 'subjectAltName'));
  if (names.length !== 1) refuse(`its subjectAltName must hold exactly one name, ${identifier.value}, but holds ${names.length}`);
  const name = names[0]!;
  const content = derReader.valueOf(name);
  const matches =
    identifier.type === 'dns'
      ? name.tag === DNS_NAME_TAG && Buffer.from(content).toString('latin1').toLowerCase() === identifier.value.toLowerCase()
      : name.tag === IP_ADDRESS_TAG && bytesEqual(content, parseIp(identifier.value).bytes);
  if (!matches) refuse(`its subjectAltName holds ${describeName(name.tag, content)}, not ${identifier.value}`);
}

function checkAcmeIdentifier(extension: DecodedExtension | undefined, keyAuthorization: string): void {
  if (extension === undefined) refuse(`it has no acmeIdentifier extension (${ACME_IDENTIFIER_OID})`);
  if (!extension.critical) refuse(`its acmeIdentifier extension (${ACME_IDENTIFIER_OID}) is not marked critical`);
  const inner = derReader.readSingle(extension.value);
  if (inner.tag !== OCTET_STRING_TAG) refuse('its acmeIdentifier extension does not hold an OCTET STRING');
  if (!bytesEqual(derReader.valueOf(inner), keyAuthorizationDigest(keyAuthorization))) {
    refuse('its acmeIdentifier extension does not hold SHA-256 of this challenge\'s key authorization');
  }
}

async function checkSelfSigned(signed: { tbs: Uint8Array; signatureAlgorithm: Uint8Array; signature: Uint8Array }, issuer: Uint8Array, subject: Uint8Array, spki: Uint8Array): Promise<void> {
  if (!bytesEqual(issuer, subject)) refuse('it is not self-signed (its issuer differs from its subject)');
  const algorithm = signatureAlgorithmFromDer(signed.signatureAlgorithm);
  if (algorithm === undefined) refuse('it is signed with an unsupported signature algorithm');
  if (!(await verifySignature(spki, algorithm, signed.tbs, signed.signature))) refuse('its self-signature does not verify under its own public key');
}

/**
 * Checks a tls-alpn-01 certificate (DER) for `identifier` and
 * `keyAuthorization` (see the module notes). Resolves when it proves the
 * challenge; throws `incorrectResponse` naming the first rule broken,
 * including for a malformed encoding.
 */
export async function checkAcmeTlsCertificate(der: Uint8Array, identifier: Identifier, keyAuthorization: string): Promise<void> {
  let signed: ReturnType<typeof splitSigned>;
  let tbs: ReturnType<typeof decodeTbs>;
  try {
    signed = splitSigned(der);
    tbs = decodeTbs(signed.tbs);
  } catch (err) {
    if (err instanceof derReader.DerError) refuse(`it is not a well-formed DER certificate (${err.message})`);
    throw err;
  }
  if (tbs.extensions.some((e) => e.oid === LEGACY_ACME_IDENTIFIER_OID)) {
    refuse(`it carries the obsolete acmeIdentifier OID ${LEGACY_ACME_IDENTIFIER_OID}; use ${ACME_IDENTIFIER_OID} (RFC 8737)`);
  }
  try {
    checkSubjectAltName(only(tbs.extensions, EXTENSION_OIDS.subjectAltName, 'subjectAltName'), identifier);
    checkAcmeIdentifier(only(tbs.extensions, ACME_IDENTIFIER_OID, 'acmeIdentifier'), keyAuthorization);
  } catch (err) {
    if (err instanceof derReader.DerError) refuse(`an extension is not well-formed DER (${err.message})`);
    throw err;
  }
  await checkSelfSigned(signed, tbs.issuer, tbs.subject, tbs.spki);
}
