import { randomBytes } from 'node:crypto';
import type { CertKeyType } from '@certwright/core';
import { createPkcs11Signer, openHsmToken, type Pkcs11Signer } from '@certwright/hsm';
import type { HsmConfig } from './config.js';

/** How the example refers to the issuing key on the token. */
function tokenOptions(config: HsmConfig) {
  return { modulePath: config.modulePath, token: { label: config.tokenLabel }, pin: { env: config.pinEnv } };
}

/**
 * Makes sure the issuing key exists on the token: an existing key with the
 * configured label is used as it is; otherwise a non-extractable, sign-only
 * key pair is generated there. Returns whether it was generated now.
 */
export async function ensureHsmKey(config: HsmConfig, keyType: CertKeyType): Promise<boolean> {
  const token = await openHsmToken(tokenOptions(config));
  try {
    const existing = (await token.listKeys()).find((k) => k.label === config.keyLabel);
    if (existing !== undefined) {
      if (existing.keyType !== keyType) {
        throw new Error(`the token's key "${config.keyLabel}" is ${existing.keyType ?? 'of an unsupported type'}, but ca.keyType is ${keyType}`);
      }
      return false;
    }
    await token.generateKeyPair({ keyType: keyType as Parameters<typeof token.generateKeyPair>[0]['keyType'], label: config.keyLabel, id: randomBytes(8).toString('hex') });
    return true;
  } finally {
    await token.close();
  }
}

/** Stores the issuing CA certificate on the token next to its key (replacing an older one). */
export async function storeCertificateOnToken(config: HsmConfig, certificateDer: Uint8Array): Promise<void> {
  const token = await openHsmToken(tokenOptions(config));
  try {
    await token.storeCertificate({ label: config.keyLabel }, certificateDer, { replace: true });
  } finally {
    await token.close();
  }
}

/** A pooled PKCS#11 signer over the issuing key. Close it on shutdown. */
export function hsmSigner(config: HsmConfig): Promise<Pkcs11Signer> {
  return createPkcs11Signer({ ...tokenOptions(config), key: { label: config.keyLabel } });
}
