/**
 * The outer encodings a CSR arrives in: PEM (RFC 7468 §7, `CERTIFICATE
 * REQUEST`, and the legacy `NEW CERTIFICATE REQUEST` label) and the unpadded
 * base64url DER that an ACME finalize request carries (RFC 8555 §7.4).
 */
import { decodeBase64urlStrict } from '../base64url.js';
import { CertwrightError } from '../errors.js';

const PEM_BLOCK = /-----BEGIN ((?:NEW )?CERTIFICATE REQUEST)-----([\s\S]*?)-----END ([A-Z ]+)-----/g;

/**
 * Extracts the DER of the single PEM certificate request in `text`. Text
 * around the block is ignored (RFC 7468 §5.2); the base64 body must be
 * strict (RFC 7468 §3: only base64 characters, whitespace between them).
 */
export function csrDerFromPem(text: string): Uint8Array {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length !== 1) {
    throw new CertwrightError('badCSR', `expected exactly one PEM CERTIFICATE REQUEST block, found ${blocks.length}`);
  }
  const [, label, body, endLabel] = blocks[0]!;
  if (label !== endLabel) throw new CertwrightError('badCSR', `PEM block BEGIN ${label} ends with END ${endLabel}`);
  const compact = body!.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact) || compact.length === 0) {
    throw new CertwrightError('badCSR', 'the PEM body is not valid base64');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Decodes the `csr` member of an ACME finalize payload: base64url without
 * padding (RFC 8555 §7.4, RFC 7515 §2). Padding, whitespace, standard base64
 * characters and non-canonical trailing bits are refused.
 */
export function csrDerFromBase64url(text: string): Uint8Array {
  const der = text.length > 0 ? decodeBase64urlStrict(text) : undefined;
  if (der === undefined) {
    throw new CertwrightError('badCSR', 'the CSR is not unpadded base64url (RFC 7515 §2: no padding, whitespace or non-canonical trailing bits)');
  }
  return der;
}
