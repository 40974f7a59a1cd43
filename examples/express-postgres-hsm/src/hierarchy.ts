/**
 * The CA hierarchy: a root in software and an issuing CA whose key lives on
 * a PKCS#11 token. Created at first start — root key written to the data
 * directory with mode 0600, issuing key generated on the token
 * (non-extractable, sign-only), issuing certificate signed by the root —
 * and loaded on every later start.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntermediateCa, createRootCa, importIssuer, toPem, type Clock, type Issuer, type Random, type SoftwareSigner } from '@certwright/core';
import { createPkcs11Signer, openHsmToken, type Pkcs11Signer } from '@certwright/hsm';
import type { AppConfig } from './config.js';

/** The loaded hierarchy; `close()` releases the token's sessions. */
export interface Hierarchy {
  readonly root: Issuer;
  readonly issuing: Issuer;
  /** The root certificate, PEM (what relying parties trust). */
  readonly rootPem: string;
  /** Whether the hierarchy was created by this start. */
  readonly created: boolean;
  close(): Promise<void>;
}

function tokenOptions(hsm: AppConfig['hsm']) {
  return { modulePath: hsm.modulePath, token: { label: hsm.tokenLabel }, pin: { env: hsm.pinEnv } };
}

/** Generates the P-256 issuing key on the token unless a key with the label exists. */
async function ensureTokenKey(hsm: AppConfig['hsm']): Promise<void> {
  const token = await openHsmToken(tokenOptions(hsm));
  try {
    if ((await token.listKeys()).some((k) => k.label === hsm.keyLabel)) return;
    await token.generateKeyPair({ keyType: 'P-256', label: hsm.keyLabel, id: randomBytes(8).toString('hex') });
  } finally {
    await token.close();
  }
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

async function create(config: AppConfig, signer: Pkcs11Signer, clock: Clock, random: Random, paths: ReturnType<typeof filesOf>): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const root = await createRootCa({ subject: [{ type: 'CN', value: 'Example Express Root CA' }], keyType: 'P-256', validitySeconds: 10 * 365 * 86400, clock, random });
  const issuing = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Example Express Issuing CA' }], signer, validitySeconds: 3 * 365 * 86400, clock, random });
  writePrivate(paths.rootKey, (root.signer as SoftwareSigner).exportPrivateKeyPem());
  writeFileSync(paths.rootCert, toPem(root.certificate, 'CERTIFICATE'), { flag: 'wx' });
  writeFileSync(paths.issuingChain, issuing.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''), { flag: 'wx' });
}

function filesOf(dataDir: string) {
  return { rootCert: join(dataDir, 'root.pem'), rootKey: join(dataDir, 'root-key.pem'), issuingChain: join(dataDir, 'issuing-ca.pem') };
}

/**
 * Loads the hierarchy from `DATA_DIR` and the token, creating it when the
 * data directory holds none of its files. A directory holding only some of
 * them is refused, so a half-restored backup never turns into a new CA.
 */
export async function openHierarchy(config: AppConfig, clock: Clock, random: Random): Promise<Hierarchy> {
  const paths = filesOf(config.dataDir);
  const present = Object.values(paths).filter((p) => existsSync(p));
  if (present.length > 0 && present.length < 3) {
    throw new Error(`${config.dataDir} holds only part of a CA (${present.join(', ')}); restore the rest or use an empty directory`);
  }
  const created = present.length === 0;
  if (created) await ensureTokenKey(config.hsm);
  const signer = await createPkcs11Signer({ ...tokenOptions(config.hsm), key: { label: config.hsm.keyLabel } });
  try {
    if (created) await create(config, signer, clock, random, paths);
    const rootPem = readFileSync(paths.rootCert, 'utf8');
    const root = importIssuer({ chainPem: rootPem, keyPem: readFileSync(paths.rootKey, 'utf8'), status: 'retired' });
    // importIssuer checks that the token's key is the certificate's key.
    const issuing = importIssuer({ chainPem: readFileSync(paths.issuingChain, 'utf8'), signer });
    return { root, issuing, rootPem, created, close: () => signer.close() };
  } catch (err) {
    await signer.close();
    throw err;
  }
}
