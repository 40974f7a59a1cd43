/**
 * Signature algorithms a {@link Signer} may implement. The names are those of
 * the X.509 AlgorithmIdentifier the signature goes under (RFC 5758, RFC 4055,
 * RFC 8410).
 */
export type SignatureAlgorithm =
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384'
  | 'ecdsa-with-SHA512'
  | 'sha256WithRSAEncryption'
  | 'sha384WithRSAEncryption'
  | 'sha512WithRSAEncryption'
  | 'rsassa-pss-sha256'
  | 'rsassa-pss-sha384'
  | 'rsassa-pss-sha512'
  | 'Ed25519';

/**
 * Something that signs with a private key it does not reveal — in the shape
 * of Go's `crypto.Signer`. Software keys and PKCS#11 keys implement it; code
 * that holds a `Signer` never knows which.
 */
export interface Signer {
  /** The signature algorithm applied by {@link Signer.sign}. */
  readonly algorithm: SignatureAlgorithm;
  /** The public key as a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
  readonly publicKeySpki: Uint8Array;
  /**
   * Signs `data` (the whole message, not a digest) and returns the signature
   * in the encoding X.509 places in a BIT STRING: DER `Ecdsa-Sig-Value` for
   * ECDSA (RFC 5758 §3.2), raw bytes for RSA and Ed25519.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}
