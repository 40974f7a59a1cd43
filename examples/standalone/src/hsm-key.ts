/**
 * The issuing keys on the configured PKCS#11 token: one loaded module for
 * the whole process (docs/hsm.md, "Sharing the module"), the signers opened
 * through it, and the key ceremonies of `init` and `issuer add`.
 */
import { randomBytes } from 'node:crypto';
import type { CertKeyType } from '@certwright/core';
import { HsmError, createPkcs11Signer, loadPkcs11Module, openHsmToken, type HsmKeyInfo, type HsmToken, type Pkcs11Module, type Pkcs11Signer } from '@certwright/hsm';
import type { HsmConfig } from './config.js';

/** The keys of one token, over one loaded module. */
export interface TokenKeys {
  readonly config: HsmConfig;
  /**
   * A pooled PKCS#11 signer over the key labelled `label`; with
   * `expectedSpki` (the CA certificate's key), a different key is refused;
   * `poolSize` sessions (default the signer's, 4). Throws {@link HsmError}
   * `keyNotFound` when the token has no such key.
   */
  signer(label: string, expectedSpki?: Uint8Array, poolSize?: number): Promise<Pkcs11Signer>;
  /**
   * Makes sure the key `label` exists: an existing key is used as it is (its
   * type must be `keyType`); otherwise a non-extractable, sign-only key pair
   * is generated. Returns whether it was generated now.
   */
  ensureKey(label: string, keyType: CertKeyType): Promise<boolean>;
  /** Generates a non-extractable, sign-only key pair labelled `label`; refuses a label the token already holds. */
  generateKey(label: string, keyType: CertKeyType): Promise<HsmKeyInfo>;
  /** Stores a CA certificate on the token next to the key `label` (same CKA_ID), replacing an older one. */
  storeCertificate(label: string, certificateDer: Uint8Array): Promise<void>;
  /** Closes every signer opened here, then finalises the module. Idempotent. */
  close(): Promise<void>;
}

/**
 * PKCS#11 sessions a retired issuer's signer keeps open. A retired issuer
 * signs only OCSP responses (pre-signed one after another) and CRLs, so one
 * session serves it; small HSMs allow few sessions in all (16 on some), and
 * the four of an active signer would run them out after a few rollovers.
 */
export const RETIRED_ISSUER_SESSIONS = 1;

/** Loads the configured PKCS#11 module once; every signer and key ceremony of the returned object shares it. */
export function openTokenKeys(config: HsmConfig): TokenKeys {
  const module: Pkcs11Module = loadPkcs11Module(config.modulePath);
  const common = { module, token: { label: config.tokenLabel }, pin: { env: config.pinEnv } };
  const signers: Pkcs11Signer[] = [];
  let closed = false;
  const withToken = async <T>(run: (token: HsmToken) => Promise<T>): Promise<T> => {
    const token = await openHsmToken(common);
    try {
      return await run(token);
    } finally {
      await token.close();
    }
  };
  const generate = (token: HsmToken, label: string, keyType: CertKeyType): Promise<HsmKeyInfo> =>
    token.generateKeyPair({ keyType, label, id: randomBytes(8).toString('hex') });
  return {
    config,
    async signer(label, expectedSpki, poolSize) {
      const signer = await createPkcs11Signer({
        ...common,
        key: { label },
        ...(expectedSpki === undefined ? {} : { expectedSpki }),
        ...(poolSize === undefined ? {} : { poolSize }),
      });
      signers.push(signer);
      return signer;
    },
    ensureKey: (label, keyType) =>
      withToken(async (token) => {
        const existing = (await token.listKeys()).find((k) => k.label === label);
        if (existing === undefined) {
          await generate(token, label, keyType);
          return true;
        }
        if (existing.keyType !== keyType) throw new Error(`the token's key "${label}" is ${existing.keyType ?? 'of an unsupported type'}, but ca.keyType is ${keyType}`);
        return false;
      }),
    generateKey: (label, keyType) =>
      withToken(async (token) => {
        if ((await token.listKeys()).some((k) => k.label === label)) {
          throw new HsmError('objectExists', `PKCS#11 token "${config.tokenLabel}" already holds a key labelled "${label}"; every issuing key needs a label of its own`);
        }
        return generate(token, label, keyType);
      }),
    storeCertificate: (label, certificateDer) => withToken((token) => token.storeCertificate({ label }, certificateDer, { replace: true })),
    async close() {
      if (closed) return;
      closed = true;
      try {
        for (const signer of signers) await signer.close();
      } finally {
        module.finalize();
      }
    },
  };
}

/** Where an issuing key on the token is, in words. */
export function describeTokenKey(config: HsmConfig, label: string): string {
  return `PKCS#11 token "${config.tokenLabel}", key "${label}"`;
}
