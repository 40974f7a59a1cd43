import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createIntermediateCa,
  createRootCa,
  defaultIssuerId,
  importIssuer,
  pemBlocks,
  toPem,
  type CertKeyType,
  type Clock,
  type Issuer,
  type IssuerStatus,
  type Signer,
  type Random,
  type SoftwareSigner,
} from '@certwright/core';
import type { StandaloneConfig } from './config.js';
import { RETIRED_ISSUER_SESSIONS, describeTokenKey, openTokenKeys, type TokenKeys } from './hsm-key.js';
import { loadAddedIssuers, readIssuerStatus, type LoadedIssuer } from './issuer-files.js';

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
  /** The first issuing CA (top-level files), with its recorded status. */
  intermediate: Issuer;
  /** Every issuing CA, active and retired: the first one, then those under `issuers/` (see issuer-files.ts). */
  issuers: Issuer[];
  created: boolean;
  paths: CaPaths;
  /** Where the first issuing CA's key lives, in words. */
  issuingKeyLocation: string;
  /** Where each issuing CA's key lives, in words, by issuer id. */
  keyLocations: ReadonlyMap<string, string>;
  /** The configured token's keys (one loaded module), when the issuing keys live in an HSM. */
  tokenKeys: TokenKeys | undefined;
  /** Releases the issuing keys (HSM sessions and module); call on shutdown. */
  close(): Promise<void>;
}

/**
 * The recorded status of the first issuing CA (its chain in `chainPem`),
 * read from its certificate alone, before its key is opened: a retired one
 * gets a smaller PKCS#11 session pool.
 */
function firstIssuerStatus(dataDir: string, chainPem: string): IssuerStatus {
  const first = pemBlocks(chainPem).find((block) => block.label === 'CERTIFICATE');
  return first === undefined ? 'active' : readIssuerStatus(dataDir, defaultIssuerId(first.der));
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
}

/** The error of `certwright init` in a data directory that already holds a CA. */
export class CaExistsError extends Error {
  constructor(dataDir: string) {
    super(`the data directory ${dataDir} already holds a CA; \`certwright init\` never replaces one (use another CERTWRIGHT_DATA_DIR for a new CA)`);
    this.name = 'CaExistsError';
  }
}

/**
 * Which parts of a CA the data directory holds: the names of the top-level
 * files present (with an HSM, the issuing key is on the token, never a
 * file) and, when any of those is missing, `issuers/` if it holds anything;
 * `complete` when every top-level file is there.
 */
export function caParts(config: StandaloneConfig): { complete: boolean; present: string[] } {
  const paths = caPaths(config.dataDir);
  const expected = Object.entries(paths).filter(([name]) => !(config.hsm && name === 'intermediateKey'));
  const present = expected.filter(([, p]) => existsSync(p)).map(([name]) => name);
  // Issuing CAs added by `issuer add` are part of the CA too: with them and without the root, the directory is half restored.
  const added = join(config.dataDir, 'issuers');
  const complete = present.length === expected.length;
  if (!complete && existsSync(added) && readdirSync(added).length > 0) present.push('issuers/');
  return { complete, present };
}

/**
 * Loads the root and intermediate from the data directory, or creates them
 * (keys written with mode 0600, never overwritten). A data directory
 * holding only some of the files is refused rather than repaired, so a
 * half-restored backup is never silently replaced by a new CA.
 *
 * `mode`: `create-or-load` (serve: create on first start), `create` (init:
 * refuse with {@link CaExistsError} when a CA exists), `load` (admin
 * commands: refuse an empty data directory).
 */
export async function loadOrCreateCa(config: StandaloneConfig, clock: Clock, random: Random, mode: 'create-or-load' | 'create' | 'load' = 'create-or-load'): Promise<LoadedCa> {
  const paths = caPaths(config.dataDir);
  const { complete, present } = caParts(config);
  if (config.hsm && existsSync(paths.intermediateKey)) {
    throw new Error(`${paths.intermediateKey} exists, but the issuing key is configured to live in the PKCS#11 token "${config.hsm.tokenLabel}"; move the file away or remove the hsm settings`);
  }
  const hsm = config.hsm;
  const location = hsm ? describeTokenKey(hsm, hsm.keyLabel) : paths.intermediateKey;
  if (mode === 'create' && present.length > 0) throw new CaExistsError(config.dataDir);
  if (mode === 'load' && present.length === 0) {
    throw new Error(`the data directory ${config.dataDir} holds no CA yet; create one with \`certwright init\` (or check CERTWRIGHT_DATA_DIR)`);
  }
  if (complete) {
    const root = importIssuer({ chainPem: readFileSync(paths.rootCert, 'utf8'), keyPem: readFileSync(paths.rootKey, 'utf8'), status: 'retired' });
    const chainPem = readFileSync(paths.intermediateChain, 'utf8');
    const tokenKeys = hsm ? openTokenKeys(hsm) : undefined;
    const close = async (): Promise<void> => tokenKeys?.close();
    try {
      // importIssuer checks that the key (file or token) is the certificate's key.
      const status = firstIssuerStatus(config.dataDir, chainPem);
      const key = tokenKeys
        ? { signer: await tokenKeys.signer(tokenKeys.config.keyLabel, undefined, status === 'retired' ? RETIRED_ISSUER_SESSIONS : undefined) }
        : { keyPem: readFileSync(paths.intermediateKey, 'utf8') };
      const intermediate = importIssuer({ chainPem, ...key, status });
      const added = await loadAddedIssuers(config.dataDir, tokenKeys);
      return { root, intermediate, ...withAdded(intermediate, location, added), created: false, paths, issuingKeyLocation: location, tokenKeys, close };
    } catch (err) {
      await close();
      throw err;
    }
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
  const tokenKeys = hsm ? openTokenKeys(hsm) : undefined;
  const close = async (): Promise<void> => tokenKeys?.close();
  let key: { keyType: CertKeyType } | { signer: Signer } = { keyType: ca.keyType };
  try {
    if (tokenKeys) {
      await tokenKeys.ensureKey(tokenKeys.config.keyLabel, ca.keyType);
      key = { signer: await tokenKeys.signer(tokenKeys.config.keyLabel) };
    }
    const intermediate = await createIntermediateCa({
      root,
      subject: [
        { type: 'O', value: ca.organization },
        { type: 'CN', value: ca.intermediateCommonName },
      ],
      ...key,
      validitySeconds: ca.intermediateValidityDays * 86400,
      clock,
      random,
    });
    writePrivate(paths.rootKey, (root.signer as SoftwareSigner).exportPrivateKeyPem());
    if (tokenKeys) await tokenKeys.storeCertificate(tokenKeys.config.keyLabel, intermediate.certificate);
    else writePrivate(paths.intermediateKey, (intermediate.signer as SoftwareSigner).exportPrivateKeyPem());
    writeFileSync(paths.rootCert, toPem(root.certificate, 'CERTIFICATE'), { flag: 'wx' });
    writeFileSync(paths.intermediateChain, intermediate.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''), { flag: 'wx' });
    return { root, intermediate, ...withAdded(intermediate, location, []), created: true, paths, issuingKeyLocation: location, tokenKeys, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The issuers list and key locations of a CA: the first issuing CA, then those under `issuers/`. */
function withAdded(first: Issuer, firstLocation: string, added: readonly LoadedIssuer[]): Pick<LoadedCa, 'issuers' | 'keyLocations'> {
  return {
    issuers: [first, ...added.map((a) => a.issuer)],
    keyLocations: new Map([[first.id, firstLocation], ...added.map((a): [string, string] => [a.issuer.id, a.keyLocation])]),
  };
}

/** SHA-256 fingerprint of a DER certificate, as colon-separated uppercase hex (the form `openssl x509 -fingerprint -sha256` prints). */
export function sha256Fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}
