/**
 * The software {@link Signer}: a private key held in process memory, signing
 * with Node's own `node:crypto` (OpenSSL). Chosen over `crypto.subtle` because
 * the synchronous one-shot `sign()` with `dsaEncoding: 'der'` produces the DER
 * `Ecdsa-Sig-Value` directly and measured about twice as fast per ECDSA P-256
 * signature as `subtle.sign` followed by a P1363→DER conversion.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  sign as nodeSign,
  type JsonWebKey,
  type KeyObject,
  type SignKeyObjectInput,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { Signer, SignatureAlgorithm } from '../signer.js';
import { SIGNATURE_ALGORITHM_OIDS, pssSaltLength, signatureFamily, signatureHash, type HashName } from './algorithms.js';

/** Key types a software signer can hold. */
export type SoftwareKeyType = 'P-256' | 'P-384' | 'P-521' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'Ed25519';

/** Options shared by the software signer factories. */
export interface SoftwareSignerOptions {
  /**
   * The signature algorithm. RSA keys default to `sha256WithRSAEncryption`
   * and accept any PKCS#1 v1.5 or RSASSA-PSS variant; ECDSA keys use the hash
   * paired with their curve (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, as
   * the Baseline Requirements §7.1.3.2.2 require); Ed25519 uses `Ed25519`.
   */
  algorithm?: SignatureAlgorithm;
}

/** Options for {@link softwareSignerFromPem}. */
export interface SoftwareSignerPemOptions extends SoftwareSignerOptions {
  /** Passphrase for an `ENCRYPTED PRIVATE KEY` (PKCS#8 PBES2) block. */
  passphrase?: string;
}

const DEFAULT_ALGORITHM: Readonly<Record<SoftwareKeyType, SignatureAlgorithm>> = {
  'P-256': 'ecdsa-with-SHA256',
  'P-384': 'ecdsa-with-SHA384',
  'P-521': 'ecdsa-with-SHA512',
  'RSA-2048': 'sha256WithRSAEncryption',
  'RSA-3072': 'sha256WithRSAEncryption',
  'RSA-4096': 'sha256WithRSAEncryption',
  Ed25519: 'Ed25519',
};

const CURVE_KEY_TYPE: Readonly<Record<string, SoftwareKeyType>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** Determines the {@link SoftwareKeyType} of a private or public `KeyObject`. */
function keyTypeOf(key: KeyObject): SoftwareKeyType {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const type = CURVE_KEY_TYPE[details.namedCurve ?? ''];
      if (type === undefined) throw new Error(`unsupported EC curve ${details.namedCurve ?? '(unknown)'}`);
      return type;
    }
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new Error(`unsupported RSA key size ${bits} bits`);
      return `RSA-${bits}`;
    }
    case 'ed25519':
      return 'Ed25519';
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? '(unknown)'}`);
  }
}

function resolveAlgorithm(keyType: SoftwareKeyType, requested: SignatureAlgorithm | undefined): SignatureAlgorithm {
  const fallback = DEFAULT_ALGORITHM[keyType];
  if (requested === undefined || requested === fallback) return fallback;
  if (!Object.hasOwn(SIGNATURE_ALGORITHM_OIDS, requested)) throw new Error(`unknown signature algorithm ${String(requested)}`);
  const family = signatureFamily(requested);
  if (keyType.startsWith('RSA-') && (family === 'rsa-pkcs1' || family === 'rsa-pss')) return requested;
  throw new Error(`signature algorithm ${requested} cannot be used with a ${keyType} key (use ${fallback})`);
}

/**
 * A {@link Signer} over an in-memory private key. Construct it with
 * {@link generateSoftwareSigner}, {@link softwareSignerFromPem},
 * {@link softwareSignerFromJwk} or {@link softwareSignerFromKeyObject}.
 */
export class SoftwareSigner implements Signer {
  /** The signature algorithm applied by {@link SoftwareSigner.sign}. */
  readonly algorithm: SignatureAlgorithm;
  /** The type of the private key. */
  readonly keyType: SoftwareKeyType;
  /** The public key as a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
  readonly publicKeySpki: Uint8Array;
  readonly #key: KeyObject;
  readonly #hash: HashName | null;
  readonly #signKey: KeyObject | SignKeyObjectInput;

  /** Prefer the factory functions; `privateKey` must be a private `KeyObject`. */
  constructor(privateKey: KeyObject, options: SoftwareSignerOptions = {}) {
    if (privateKey.type !== 'private') throw new Error('a software signer needs a private key');
    this.#key = privateKey;
    this.keyType = keyTypeOf(privateKey);
    this.algorithm = resolveAlgorithm(this.keyType, options.algorithm);
    this.#hash = signatureHash(this.algorithm);
    this.publicKeySpki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
    const family = signatureFamily(this.algorithm);
    if (family === 'ecdsa') this.#signKey = { key: privateKey, dsaEncoding: 'der' };
    else if (family === 'rsa-pss') {
      this.#signKey = {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: pssSaltLength(this.#hash as HashName),
      };
    } else this.#signKey = privateKey;
  }

  /**
   * Signs the whole message `data` on the calling thread (the event loop):
   * the fastest way to make one signature. ECDSA signatures come back as DER
   * `Ecdsa-Sig-Value`; RSA and Ed25519 signatures as raw bytes.
   */
  sign(data: Uint8Array): Promise<Uint8Array> {
    try {
      const signature = nodeSign(this.#hash, data, this.#signKey);
      // node:crypto returns each signature in its own ArrayBuffer: a plain Uint8Array view of it, no copy.
      return Promise.resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Signs like {@link SoftwareSigner.sign}, but on libuv's thread pool
   * (node:crypto's callback form): each signature costs the event loop a
   * little more to hand over and collect, and frees it for other work while
   * the private-key operation runs on another core. Worth it when several
   * signatures are wanted at once; for one at a time, {@link SoftwareSigner.sign}
   * is faster.
   */
  signOnThreadPool(data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      try {
        nodeSign(this.#hash, data, this.#signKey, (err, signature) => {
          if (err === null) resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
          else reject(err);
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** The private key as a PKCS#8 `PRIVATE KEY` PEM block, for writing a CA key file. */
  exportPrivateKeyPem(): string {
    return this.#key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
}

/** Wraps a `node:crypto` private `KeyObject` in a {@link SoftwareSigner}. */
export function softwareSignerFromKeyObject(privateKey: KeyObject, options?: SoftwareSignerOptions): SoftwareSigner {
  return new SoftwareSigner(privateKey, options);
}

const generate = promisify(generateKeyPair);

/**
 * Generates a fresh key of `keyType` (RSA keys with public exponent 65537)
 * and returns a signer over it. RSA generation runs off the main thread.
 */
export async function generateSoftwareSigner(keyType: SoftwareKeyType, options?: SoftwareSignerOptions): Promise<SoftwareSigner> {
  let pair: { privateKey: KeyObject };
  if (keyType === 'Ed25519') pair = await generate('ed25519');
  else if (keyType.startsWith('RSA-')) {
    pair = await generate('rsa', { modulusLength: Number(keyType.slice(4)), publicExponent: 0x10001 });
  } else {
    const namedCurve = Object.entries(CURVE_KEY_TYPE).find(([, t]) => t === keyType)?.[0];
    if (namedCurve === undefined) throw new Error(`unknown key type ${String(keyType)}`);
    pair = await generate('ec', { namedCurve });
  }
  return new SoftwareSigner(pair.privateKey, options);
}

const PEM_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);

/**
 * Loads a signer from a PEM private key: PKCS#8 `PRIVATE KEY` (RFC 5958),
 * SEC1 `EC PRIVATE KEY` (RFC 5915), PKCS#1 `RSA PRIVATE KEY` (RFC 8017
 * appendix A.1.2), or `ENCRYPTED PRIVATE KEY` with `options.passphrase`.
 * The text must hold exactly one private key block; `EC PARAMETERS` blocks
 * (as `openssl ecparam -genkey` writes) are ignored.
 */
export function softwareSignerFromPem(pem: string, options: SoftwareSignerPemOptions = {}): SoftwareSigner {
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  const keyBlocks = blocks.filter((m) => m[1] !== 'EC PARAMETERS');
  if (keyBlocks.length !== 1) throw new Error(`expected exactly one PEM private key block, found ${keyBlocks.length}`);
  const [block, label] = keyBlocks[0] as RegExpMatchArray & [string, string];
  if (!PEM_LABELS.has(label)) throw new Error(`unsupported PEM block "${label}"`);
  if (label === 'ENCRYPTED PRIVATE KEY' && options.passphrase === undefined) {
    throw new Error('the PEM private key is encrypted: pass options.passphrase');
  }
  const key = createPrivateKey(
    options.passphrase === undefined ? { key: block, format: 'pem' } : { key: block, format: 'pem', passphrase: options.passphrase },
  );
  return new SoftwareSigner(key, options);
}

/**
 * Loads a signer from a private JWK (RFC 7517; EC, RSA or OKP/Ed25519 with
 * its private members).
 */
export function softwareSignerFromJwk(jwk: JsonWebKey, options?: SoftwareSignerOptions): SoftwareSigner {
  if (typeof jwk.d !== 'string') throw new Error('the JWK has no private key ("d")');
  return new SoftwareSigner(createPrivateKey({ key: jwk, format: 'jwk' }), options);
}
