/**
 * Signed Certificate Timestamps, version 1 (RFC 6962 §3.2), and the SCT list
 * carried in certificates and TLS (RFC 6962 §3.3), in their TLS encodings:
 *
 * ```
 * struct {
 *   Version sct_version;            // v1(0)
 *   LogID id;                       // opaque key_id[32]: SHA-256 of the log's SPKI
 *   uint64 timestamp;               // milliseconds since the epoch
 *   CtExtensions extensions;        // opaque <0..2^16-1>
 *   digitally-signed struct { ... } // RFC 5246 §4.7
 * } SignedCertificateTimestamp;
 *
 * opaque SerializedSCT<1..2^16-1>;
 * struct { SerializedSCT sct_list <1..2^16-1>; } SignedCertificateTimestampList;
 * ```
 * @module
 */
import { derReader, EXTENSION_OIDS, decodeTbs, splitSigned } from '@certwright/core';
import { TlsDecodeError, TlsReader, TlsWriter } from './tls-encoding.js';

/** `sct_version` v1 (RFC 6962 §3.2). */
export const SCT_VERSION_V1 = 0;

/** TLS HashAlgorithm sha256 (RFC 5246 §7.4.1.4.1), the only one RFC 6962 logs use. */
export const HASH_ALGORITHM_SHA256 = 4;

/** TLS SignatureAlgorithm values (RFC 5246 §7.4.1.4.1) that RFC 6962 §2.1.4 allows. */
export const SIGNATURE_ALGORITHM = { rsa: 1, ecdsa: 3 } as const;

/** A TLS `digitally-signed` struct (RFC 5246 §4.7): algorithms and the signature bytes. */
export interface DigitallySigned {
  /** TLS HashAlgorithm code (4 = sha256). */
  readonly hashAlgorithm: number;
  /** TLS SignatureAlgorithm code (1 = rsa, 3 = ecdsa). */
  readonly signatureAlgorithm: number;
  /** The signature: DER ECDSA-Sig-Value for ECDSA, PKCS #1 v1.5 for RSA. */
  readonly signature: Uint8Array;
}

/** A decoded v1 SCT (RFC 6962 §3.2). */
export interface SignedCertificateTimestamp {
  /** Always {@link SCT_VERSION_V1}. */
  readonly version: number;
  /** The log id: SHA-256 of the log's public key SPKI, 32 octets. */
  readonly logId: Uint8Array;
  /** Milliseconds since the Unix epoch, as the log stamped it. */
  readonly timestamp: number;
  /** CtExtensions (none are defined for v1; usually empty). */
  readonly extensions: Uint8Array;
  readonly signature: DigitallySigned;
}

/** Encodes a `digitally-signed` struct. */
export function encodeDigitallySigned(ds: DigitallySigned): Uint8Array {
  return new TlsWriter().uint(ds.hashAlgorithm, 1).uint(ds.signatureAlgorithm, 1).vector(ds.signature, 2).finish();
}

function readDigitallySigned(r: TlsReader): DigitallySigned {
  const hashAlgorithm = r.uint(1, 'hash algorithm');
  const signatureAlgorithm = r.uint(1, 'signature algorithm');
  const signature = r.vector(2, 'signature', 1);
  return { hashAlgorithm, signatureAlgorithm, signature };
}

/** Decodes a `digitally-signed` struct that must span all of `bytes`; throws {@link TlsDecodeError}. */
export function decodeDigitallySigned(bytes: Uint8Array): DigitallySigned {
  const r = new TlsReader(bytes);
  const ds = readDigitallySigned(r);
  r.end('digitally-signed');
  return ds;
}

/** Serializes an SCT (RFC 6962 §3.2), the form placed in an SCT list. */
export function encodeSct(sct: SignedCertificateTimestamp): Uint8Array {
  if (sct.logId.length !== 32) throw new RangeError(`an SCT log id has 32 octets, got ${sct.logId.length}`);
  return new TlsWriter()
    .uint(sct.version, 1)
    .bytes(sct.logId)
    .uint(sct.timestamp, 8)
    .vector(sct.extensions, 2)
    .bytes(encodeDigitallySigned(sct.signature))
    .finish();
}

/**
 * Decodes one serialized SCT; only v1 is understood (RFC 6962 §3.2: "a
 * client MUST NOT attempt to verify ... an unknown version"). Throws
 * {@link TlsDecodeError} naming the faulty field.
 */
export function decodeSct(bytes: Uint8Array): SignedCertificateTimestamp {
  const r = new TlsReader(bytes);
  const version = r.uint(1, 'SCT version');
  if (version !== SCT_VERSION_V1) throw new TlsDecodeError(`SCT version ${version} is not v1`);
  const logId = new Uint8Array(r.bytes(32, 'SCT log id'));
  const timestamp = r.uint(8, 'SCT timestamp');
  const extensions = new Uint8Array(r.vector(2, 'SCT extensions'));
  const signature = readDigitallySigned(r);
  r.end('SCT');
  return { version, logId, timestamp, extensions, signature: { ...signature, signature: new Uint8Array(signature.signature) } };
}

/**
 * Encodes a SignedCertificateTimestampList (RFC 6962 §3.3) from SCTs (decoded
 * or already serialized): at least one, each and the whole under 2^16 octets.
 */
export function encodeSctList(scts: readonly (SignedCertificateTimestamp | Uint8Array)[]): Uint8Array {
  if (scts.length === 0) throw new RangeError('an SCT list holds at least one SCT (RFC 6962 §3.3)');
  const inner = new TlsWriter();
  for (const s of scts) inner.vector(s instanceof Uint8Array ? s : encodeSct(s), 2, 1);
  const body = inner.finish();
  if (body.length > 0xffff) throw new RangeError(`an SCT list is at most 65535 octets, got ${body.length}`);
  return new TlsWriter().vector(body, 2, 1).finish();
}

/** Splits a TLS-encoded SCT list into its serialized SCTs, without decoding them. */
export function splitSctList(list: Uint8Array): Uint8Array[] {
  const outer = new TlsReader(list);
  const body = outer.vector(2, 'SCT list', 1);
  outer.end('SCT list');
  const r = new TlsReader(body);
  const out: Uint8Array[] = [];
  while (r.remaining > 0) out.push(r.vector(2, `SCT ${out.length + 1}`, 1));
  return out;
}

/** Decodes a TLS-encoded SCT list (RFC 6962 §3.3) into its SCTs; throws {@link TlsDecodeError}. */
export function decodeSctList(list: Uint8Array): SignedCertificateTimestamp[] {
  return splitSctList(list).map(decodeSct);
}

/**
 * The TLS-encoded SCT list embedded in a certificate (RFC 6962 §3.3: the
 * extnValue of extension 1.3.6.1.4.1.11129.2.4.2 is an OCTET STRING holding
 * the list), or `undefined` when the certificate has none.
 */
export function sctListFromCertificate(certificateDer: Uint8Array): Uint8Array | undefined {
  const tbs = decodeTbs(splitSigned(certificateDer).tbs);
  const ext = tbs.extensions.find((e) => e.oid === EXTENSION_OIDS.ctSctList);
  if (ext === undefined) return undefined;
  const inner = derReader.expectTag(derReader.readSingle(ext.value), 0x04, 'SignedCertificateTimestampList OCTET STRING');
  return new Uint8Array(derReader.valueOf(inner));
}
