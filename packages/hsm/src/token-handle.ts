/**
 * Key ceremonies on a PKCS#11 token: generating signing key pairs, listing
 * keys, and storing and reading the certificate that goes with a key.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, Template } from 'pkcs11js';
import { decodeTbs, splitSigned, silentLogger, type Logger } from '@certwright/core';
import { CKM_EC_EDWARDS_KEY_PAIR_GEN } from './constants.js';
import { HsmError, describePkcs11Error, returnCodeOf } from './errors.js';
import { mechanismName } from './mechanism.js';
import { loadPkcs11Module, type Pkcs11Module } from './module.js';
import type { PinSource } from './pin.js';
import { EC_PARAMS, hsmKeyTypeOf, readPublicKey, type HsmKeyType } from './public-key.js';
import type { ModuleSource } from './signer.js';
import { describeKey, describeToken, findKey, findObjects, findSlot, keySelectorAttribute, login, openSession, type KeySelector, type TokenSelector } from './token.js';

/** Options of {@link openHsmToken}. */
export type HsmTokenOptions = ModuleSource & {
  token: TokenSelector;
  pin: PinSource;
  logger?: Logger;
};

/** Options of {@link HsmToken.generateKeyPair}. */
export interface GenerateKeyPairOptions {
  keyType: HsmKeyType;
  /** CKA_LABEL of both halves; must not exist yet. */
  label: string;
  /** CKA_ID of both halves, hex; must not exist yet. */
  id: string;
}

/** A key pair on the token, as {@link HsmToken.listKeys} reports it. */
export interface HsmKeyInfo {
  label: string;
  /** CKA_ID, hex. */
  id: string;
  /** `undefined` for keys this package cannot sign with. */
  keyType: HsmKeyType | undefined;
  /** DER SubjectPublicKeyInfo, when the public key object exists and is supported. */
  publicKeySpki: Uint8Array | undefined;
  /** CKA_SENSITIVE of the private key. */
  sensitive: boolean;
  /** CKA_EXTRACTABLE of the private key. */
  extractable: boolean;
  /** Whether a CKO_CERTIFICATE with the same CKA_ID exists. */
  hasCertificate: boolean;
}

/** A logged-in session on one token for key ceremonies. */
export interface HsmToken {
  /** The module in use. */
  readonly module: Pkcs11Module;
  /**
   * Generates a persistent (CKA_TOKEN), private, sensitive, non-extractable
   * key pair whose private half may only sign (CKA_DECRYPT, CKA_UNWRAP and
   * CKA_DERIVE false). Throws {@link HsmError} `objectExists` when the label
   * or id is taken, `mechanismUnsupported` when the token cannot generate the
   * key type. Returns the new key's description.
   */
  generateKeyPair(options: GenerateKeyPairOptions): Promise<HsmKeyInfo>;
  /** Every private key on the token with its public key and certificate status, sorted by label. */
  listKeys(): Promise<HsmKeyInfo[]>;
  /**
   * Stores `certificateDer` as a CKO_CERTIFICATE (X.509) next to the key:
   * same CKA_ID and CKA_LABEL, public, on the token. Refuses a certificate
   * whose public key is not the key's (`publicKeyMismatch`) and, unless
   * `replace` is set, a key that already has one (`objectExists`).
   */
  storeCertificate(key: KeySelector, certificateDer: Uint8Array, options?: { replace?: boolean }): Promise<void>;
  /** The certificate stored next to the key, or `undefined`. Throws `keyNotFound` when the key does not exist. */
  readCertificate(key: KeySelector): Promise<Uint8Array | undefined>;
  /** Closes the session, and finalises the module when this handle loaded it. */
  close(): Promise<void>;
}

const RSA_BITS: Readonly<Partial<Record<HsmKeyType, number>>> = { 'RSA-2048': 2048, 'RSA-3072': 3072, 'RSA-4096': 4096 };

/**
 * Opens a logged-in read/write session on `token` for key ceremonies. Throws
 * {@link HsmError} `moduleLoadFailed`, `tokenNotFound`, `pinIncorrect`,
 * `pinLocked`.
 */
export async function openHsmToken(options: HsmTokenOptions): Promise<HsmToken> {
  if ((options.module === undefined) === (options.modulePath === undefined)) {
    throw new HsmError('invalidConfiguration', 'PKCS#11 token needs exactly one of modulePath and module');
  }
  const module = options.module ?? loadPkcs11Module(options.modulePath as string);
  const owns = options.module === undefined;
  const pkcs11 = module.pkcs11;
  let session: Handle | undefined;
  try {
    const slot = findSlot(pkcs11, options.token);
    session = openSession(pkcs11, slot);
    await login(pkcs11, session, options.pin, options.token);
    return new TokenHandle(module, owns, slot, session, options.token, options.logger ?? silentLogger);
  } catch (err) {
    if (session !== undefined) pkcs11.C_CloseSession(session);
    if (owns) module.finalize();
    throw err;
  }
}

/** The subjectPublicKeyInfo and subject of a DER certificate (RFC 5280 §4.1). */
function certificateParts(der: Uint8Array): { subject: Uint8Array; spki: Uint8Array } {
  try {
    const { subject, spki } = decodeTbs(splitSigned(der).tbs);
    return { subject, spki };
  } catch (err) {
    throw new HsmError('invalidConfiguration', `not a DER X.509 certificate: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

class TokenHandle implements HsmToken {
  private closed = false;

  constructor(
    readonly module: Pkcs11Module,
    private readonly ownsModule: boolean,
    private readonly slot: Handle,
    private readonly session: Handle,
    private readonly token: TokenSelector,
    private readonly logger: Logger,
  ) {}

  private get pkcs11() {
    if (this.closed) throw new HsmError('closed', `PKCS#11 token handle for ${describeToken(this.token)} is closed`);
    return this.module.pkcs11;
  }

  async generateKeyPair(options: GenerateKeyPairOptions): Promise<HsmKeyInfo> {
    const pkcs11 = this.pkcs11;
    const id = keySelectorAttribute({ id: options.id }).value as Buffer;
    if (options.label.length === 0) throw new HsmError('invalidConfiguration', 'key label must not be empty');
    for (const selector of [{ type: pkcs11js.CKA_LABEL, value: options.label }, { type: pkcs11js.CKA_ID, value: id }]) {
      if (findObjects(pkcs11, this.session, [selector]).length > 0) {
        const what = selector.type === pkcs11js.CKA_LABEL ? `label "${options.label}"` : `id ${options.id}`;
        throw new HsmError('objectExists', `an object with ${what} already exists on PKCS#11 token ${describeToken(this.token)}`);
      }
    }
    const common: Template = [
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_LABEL, value: options.label },
      { type: pkcs11js.CKA_ID, value: id },
    ];
    const publicTemplate: Template = [
      ...common,
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: false },
      { type: pkcs11js.CKA_WRAP, value: false },
    ];
    const privateTemplate: Template = [
      ...common,
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_DECRYPT, value: false },
      { type: pkcs11js.CKA_UNWRAP, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    ];
    let mechanism: number;
    const bits = RSA_BITS[options.keyType];
    if (bits !== undefined) {
      mechanism = pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
      publicTemplate.push({ type: pkcs11js.CKA_MODULUS_BITS, value: bits }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
    } else if (options.keyType === 'Ed25519') {
      mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
      publicTemplate.push({ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(EC_PARAMS.Ed25519) });
    } else if (options.keyType === 'P-256' || options.keyType === 'P-384') {
      mechanism = pkcs11js.CKM_EC_KEY_PAIR_GEN;
      publicTemplate.push({ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(EC_PARAMS[options.keyType]) });
    } else {
      throw new HsmError('invalidConfiguration', `unknown key type ${String(options.keyType)}`);
    }
    if (!pkcs11.C_GetMechanismList(this.slot).includes(mechanism)) {
      throw new HsmError('mechanismUnsupported', `PKCS#11 token ${describeToken(this.token)} does not offer ${mechanismName(mechanism)} to generate ${options.keyType} keys`);
    }
    try {
      pkcs11.C_GenerateKeyPair(this.session, { mechanism }, publicTemplate, privateTemplate);
    } catch (err) {
      const code = returnCodeOf(err);
      throw new HsmError('pkcs11Failed', `generating ${options.keyType} key "${options.label}" on PKCS#11 token ${describeToken(this.token)} failed with ${describePkcs11Error(err)}`, {
        ...(code === undefined ? {} : { returnCode: code }),
        cause: err,
      });
    }
    this.logger({ level: 'info', event: 'hsm.key.generated', token: describeToken(this.token), label: options.label, id: options.id, keyType: options.keyType });
    return this.describe(findKey(pkcs11, this.session, { id: options.id }, this.token).privateKey);
  }

  async listKeys(): Promise<HsmKeyInfo[]> {
    const privates = findObjects(this.pkcs11, this.session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
    return privates.map((handle) => this.describe(handle)).sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  }

  private describe(privateKey: Handle): HsmKeyInfo {
    const pkcs11 = this.pkcs11;
    const [id, label, sensitive, extractable] = pkcs11.C_GetAttributeValue(this.session, privateKey, [
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_SENSITIVE },
      { type: pkcs11js.CKA_EXTRACTABLE },
    ]);
    const idHex = id?.value.toString('hex') ?? '';
    const labelText = label?.value.toString('utf8') ?? '';
    let keyType: HsmKeyType | undefined;
    let publicKeySpki: Uint8Array | undefined;
    try {
      const selector: KeySelector = idHex.length > 0 ? { id: idHex } : { label: labelText };
      const keys = findKey(pkcs11, this.session, selector, this.token);
      const publicKey = readPublicKey(pkcs11, this.session, keys.publicKey);
      keyType = hsmKeyTypeOf(publicKey);
      publicKeySpki = publicKey.spki;
    } catch (err) {
      if (!(err instanceof HsmError)) throw err;
    }
    return {
      label: labelText,
      id: idHex,
      keyType,
      publicKeySpki,
      sensitive: sensitive?.value[0] === 1,
      extractable: extractable?.value[0] === 1,
      hasCertificate: idHex.length > 0 && this.certificates(Buffer.from(idHex, 'hex')).length > 0,
    };
  }

  private certificates(id: Buffer): Handle[] {
    return findObjects(this.pkcs11, this.session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
  }

  async storeCertificate(key: KeySelector, certificateDer: Uint8Array, options: { replace?: boolean } = {}): Promise<void> {
    const pkcs11 = this.pkcs11;
    const keys = findKey(pkcs11, this.session, key, this.token);
    const { subject, spki } = certificateParts(certificateDer);
    const publicKey = readPublicKey(pkcs11, this.session, keys.publicKey);
    if (!sameBytes(spki, publicKey.spki)) {
      throw new HsmError('publicKeyMismatch', `the certificate's public key is not that of PKCS#11 key "${keys.label}" (${describeKey(key)})`);
    }
    if (keys.id.length === 0) throw new HsmError('invalidConfiguration', `PKCS#11 key "${keys.label}" has an empty CKA_ID; a certificate is linked to its key by CKA_ID`);
    const id = Buffer.from(keys.id, 'hex');
    const existing = this.certificates(id);
    if (existing.length > 0 && options.replace !== true) {
      throw new HsmError('objectExists', `PKCS#11 key "${keys.label}" (${describeKey(key)}) already has a certificate; pass replace: true to overwrite it`);
    }
    pkcs11.C_CreateObject(this.session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
      { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: false },
      { type: pkcs11js.CKA_LABEL, value: keys.label },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_SUBJECT, value: Buffer.from(subject) },
      { type: pkcs11js.CKA_VALUE, value: Buffer.from(certificateDer) },
    ]);
    for (const old of existing) pkcs11.C_DestroyObject(this.session, old);
    this.logger({ level: 'info', event: 'hsm.certificate.stored', token: describeToken(this.token), label: keys.label, id: keys.id, replaced: existing.length });
  }

  async readCertificate(key: KeySelector): Promise<Uint8Array | undefined> {
    const pkcs11 = this.pkcs11;
    const keys = findKey(pkcs11, this.session, key, this.token);
    if (keys.id.length === 0) return undefined;
    const [certificate] = this.certificates(Buffer.from(keys.id, 'hex'));
    if (certificate === undefined) return undefined;
    const [value] = pkcs11.C_GetAttributeValue(this.session, certificate, [{ type: pkcs11js.CKA_VALUE }]);
    return value === undefined ? undefined : new Uint8Array(value.value);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const pkcs11 = this.module.pkcs11;
    this.closed = true;
    try {
      pkcs11.C_CloseSession(this.session);
    } catch (err) {
      const code = returnCodeOf(err);
      if (code !== 'CKR_SESSION_HANDLE_INVALID' && code !== 'CKR_SESSION_CLOSED') throw err;
    } finally {
      if (this.ownsModule) this.module.finalize();
    }
  }
}
