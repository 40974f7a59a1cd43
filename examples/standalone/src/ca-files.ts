import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createIntermediateCa,
  createRootCa,
  importIssuer,
  toPem,
  type Clock,
  type Issuer,
  type Random,
  type SoftwareSigner,
} from '@certwright/core';
import type { StandaloneConfig } from './config.js';

/** Where the CA's files live inside the data directory. */
export interface CaPaths {
  rootCert: string;
  rootKey: string;
  intermediateChain: string;
  intermediateKey: string;
}

/** The file layout of a data directory. */
export function caPaths(dataDir: string): CaPaths {
  return {
    rootCert: join(dataDir, 'root.pem'),
    rootKey: join(dataDir, 'root-key.pem'),
    intermediateChain: join(dataDir, 'intermediate.pem'),
    intermediateKey: join(dataDir, 'intermediate-key.pem'),
  };
}

/** The CA as loaded or created, and whether it was created now. */
export interface LoadedCa {
  root: Issuer;
  intermediate: Issuer;
  created: boolean;
  paths: CaPaths;
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

/**
 * Loads the root and intermediate from the data directory, or creates them
 * on first start (keys written with mode 0600, never overwritten). A data
 * directory holding only some of the files is refused rather than repaired,
 * so a half-restored backup is never silently replaced by a new CA.
 */
export async function loadOrCreateCa(config: StandaloneConfig, clock: Clock, random: Random): Promise<LoadedCa> {
  const paths = caPaths(config.dataDir);
  const present = Object.entries(paths).filter(([, p]) => existsSync(p)).map(([name]) => name);
  if (present.length === 4) {
    const root = importIssuer({ chainPem: readFileSync(paths.rootCert, 'utf8'), keyPem: readFileSync(paths.rootKey, 'utf8'), status: 'retired' });
    const intermediate = importIssuer({ chainPem: readFileSync(paths.intermediateChain, 'utf8'), keyPem: readFileSync(paths.intermediateKey, 'utf8') });
    return { root, intermediate, created: false, paths };
  }
  if (present.length > 0) {
    throw new Error(
      `the data directory ${config.dataDir} holds only part of a CA (${present.join(', ')}); restore the missing files from a backup or use an empty directory`,
    );
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { ca } = config;
  const root = await createRootCa({
    subject: [
      { type: 'O', value: ca.organization },
      { type: 'CN', value: ca.rootCommonName },
    ],
    keyType: ca.keyType,
    validitySeconds: ca.rootValidityDays * 86400,
    clock,
    random,
  });
  const intermediate = await createIntermediateCa({
    root,
    subject: [
      { type: 'O', value: ca.organization },
      { type: 'CN', value: ca.intermediateCommonName },
    ],
    keyType: ca.keyType,
    validitySeconds: ca.intermediateValidityDays * 86400,
    clock,
    random,
  });
  writePrivate(paths.rootKey, (root.signer as SoftwareSigner).exportPrivateKeyPem());
  writePrivate(paths.intermediateKey, (intermediate.signer as SoftwareSigner).exportPrivateKeyPem());
  writeFileSync(paths.rootCert, toPem(root.certificate, 'CERTIFICATE'), { flag: 'wx' });
  writeFileSync(paths.intermediateChain, intermediate.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''), { flag: 'wx' });
  return { root, intermediate, created: true, paths };
}

/** SHA-256 fingerprint of a DER certificate, as colon-separated uppercase hex (the form `openssl x509 -fingerprint -sha256` prints). */
export function sha256Fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}
