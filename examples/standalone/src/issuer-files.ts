/**
 * Issuing CAs beyond the first, for key rollover: each lives in
 * `issuers/<id>/` of the data directory (`cert.pem`: the certificate then
 * the root; its key either in `key.pem`, mode 0600, or on the configured
 * PKCS#11 token under the label that `hsm-key` holds; `status`: `active` or
 * `retired`). A new issuer is assembled in `issuers/.new-<id>/` and renamed
 * into place complete, so no folder is ever active without its key.
 * The first issuing CA keeps its top-level files (`intermediate.pem`,
 * `intermediate-key.pem` or the token); its status, once changed, is
 * `issuers/<id>/status`. A retired issuer issues nothing new but keeps
 * signing OCSP responses and CRLs for what it issued.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HsmError, type Pkcs11Signer } from '@certwright/hsm';
import { createIntermediateCa, decodeTbs, importIssuer, pemBlocks, splitSigned, toPem, type CertKeyType, type Clock, type Issuer, type IssuerStatus, type Random, type SoftwareSigner } from '@certwright/core';
import { RETIRED_ISSUER_SESSIONS, describeTokenKey, type TokenKeys } from './hsm-key.js';

/** The file of an issuer's folder naming its key on the PKCS#11 token (the key's CKA_LABEL, one line). */
export const TOKEN_KEY_FILE = 'hsm-key';

/** The folder of one issuer's files. */
export function issuerDir(dataDir: string, id: string): string {
  return join(dataDir, 'issuers', id);
}

/** An issuer's recorded status; `active` when none is recorded. */
export function readIssuerStatus(dataDir: string, id: string): IssuerStatus {
  const path = join(issuerDir(dataDir, id), 'status');
  if (!existsSync(path)) return 'active';
  const text = readFileSync(path, 'utf8').trim();
  if (text !== 'active' && text !== 'retired') throw new Error(`${path} says ${JSON.stringify(text)}; it must say active or retired`);
  return text;
}

/** Records an issuer's status (a temporary file renamed over the old one, so a crash never leaves half a word). */
export function writeIssuerStatus(dataDir: string, id: string, status: IssuerStatus): void {
  const dir = issuerDir(dataDir, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'status.tmp'), `${status}\n`);
  renameSync(join(dir, 'status.tmp'), join(dir, 'status'));
}

/** An issuing CA loaded from `issuers/`, with where its key lives in words. */
export interface LoadedIssuer {
  issuer: Issuer;
  keyLocation: string;
}

/** The token key label an issuer's folder names, or `undefined` when it has no {@link TOKEN_KEY_FILE}. */
function tokenKeyLabel(dir: string): string | undefined {
  const path = join(dir, TOKEN_KEY_FILE);
  if (!existsSync(path)) return undefined;
  const label = readFileSync(path, 'utf8').trim();
  if (label.length === 0 || label.includes('\n')) throw new Error(`${path} must hold one line, the label of the issuing key on the PKCS#11 token`);
  return label;
}

/** The signer of the token key `label` for the issuer in `dir`, checked against its certificate; a missing key is named with the folder. */
async function tokenSigner(dir: string, label: string, chainPem: string, keys: TokenKeys | undefined, status: IssuerStatus) {
  if (keys === undefined) {
    throw new Error(`${dir} keeps its issuing key on a PKCS#11 token (key "${label}" in ${TOKEN_KEY_FILE}), but no HSM is configured: set CERTWRIGHT_HSM_MODULE, CERTWRIGHT_HSM_TOKEN and the PIN as when the key was made (see docs/configuration.md, "Issuing key in an HSM")`);
  }
  const [certificate] = pemBlocks(chainPem).filter((block) => block.label === 'CERTIFICATE');
  if (certificate === undefined) throw new Error(`${join(dir, 'cert.pem')} holds no certificate`);
  const { spki } = decodeTbs(splitSigned(certificate.der).tbs);
  try {
    return await keys.signer(label, spki, status === 'retired' ? RETIRED_ISSUER_SESSIONS : undefined);
  } catch (err) {
    if (err instanceof HsmError && (err.reason === 'keyNotFound' || err.reason === 'publicKeyMismatch')) {
      const problem = err.reason === 'keyNotFound' ? `is not on PKCS#11 token "${keys.config.tokenLabel}"` : `on PKCS#11 token "${keys.config.tokenLabel}" is not the key its cert.pem certifies`;
      throw new Error(`${dir}: its issuing key "${label}" (${TOKEN_KEY_FILE}) ${problem}: restore the token from its backup, or move the folder away (${err.message})`, { cause: err });
    }
    throw err;
  }
}

/**
 * Loads every issuer under `issuers/` that has a certificate, active and
 * retired: a folder with `key.pem` gets a software signer, one with
 * {@link TOKEN_KEY_FILE} a PKCS#11 signer over that key of `tokenKeys`,
 * checked against the certificate's key. The first issuing CA's
 * status-only folder and `.new-*` folders of an `issuer add` that did not
 * finish are skipped. A folder with a certificate and no key, with both
 * kinds of key, or naming a token key the token lacks is refused, naming it.
 */
export async function loadAddedIssuers(dataDir: string, tokenKeys: TokenKeys | undefined): Promise<LoadedIssuer[]> {
  const root = join(dataDir, 'issuers');
  if (!existsSync(root)) return [];
  const loaded: LoadedIssuer[] = [];
  for (const id of readdirSync(root).sort()) {
    if (id.startsWith('.')) continue;
    const dir = issuerDir(dataDir, id);
    if (!existsSync(join(dir, 'cert.pem'))) continue;
    const chainPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const status = readIssuerStatus(dataDir, id);
    const label = tokenKeyLabel(dir);
    const hasKeyFile = existsSync(join(dir, 'key.pem'));
    if (label !== undefined && hasKeyFile) throw new Error(`${dir} holds both key.pem and ${TOKEN_KEY_FILE} (token key "${label}"); an issuer has one key: move the wrong one away`);
    if (label === undefined) {
      if (!hasKeyFile) throw new Error(`${dir} holds cert.pem without key.pem or ${TOKEN_KEY_FILE}; restore the key file from a backup or move the folder away`);
      const issuer = importIssuer({ chainPem, keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), id, status });
      loaded.push({ issuer, keyLocation: join(dir, 'key.pem') });
      continue;
    }
    const signer = await tokenSigner(dir, label, chainPem, tokenKeys, status);
    loaded.push({ issuer: importIssuer({ chainPem, signer, id, status }), keyLocation: describeTokenKey(tokenKeys!.config, label) });
  }
  return loaded;
}

/** Options of {@link addIssuer}. */
export interface AddIssuerOptions {
  dataDir: string;
  root: Issuer;
  subject: { organization: string; commonName: string };
  /** Subject names (DER) of the CAs already there; the new one must differ from each (RFC 5280 §4.1.2.6). */
  takenSubjects: readonly Uint8Array[];
  keyType: CertKeyType;
  /** Generate the key on this token under `label` instead of in software. */
  token?: { keys: TokenKeys; label: string };
  validityDays: number;
  clock: Clock;
  random: Random;
}

/** Writes `data` to a new file and flushes it to disk before returning. */
function writeDurably(path: string, data: string, mode = 0o644): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory's entries (a rename into it) to disk. */
function syncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the new issuer's folder: its files go to `issuers/.new-<id>/`
 * (flushed to disk), which is then renamed to `issuers/<id>/`, so the
 * folder appears with `cert.pem`, its key (file or token label) and
 * `status` = `active` together, or not at all.
 */
function writeIssuerFolder(dataDir: string, issuer: Issuer, key: { pem: string } | { label: string }): void {
  const dir = issuerDir(dataDir, issuer.id);
  if (existsSync(dir)) throw new Error(`${dir} already exists`);
  const staging = join(dataDir, 'issuers', `.new-${issuer.id}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    if ('pem' in key) writeDurably(join(staging, 'key.pem'), key.pem, 0o600);
    else writeDurably(join(staging, TOKEN_KEY_FILE), `${key.label}\n`);
    writeDurably(join(staging, 'cert.pem'), issuer.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''));
    writeDurably(join(staging, 'status'), 'active\n');
    renameSync(staging, dir);
    syncDirectory(join(dataDir, 'issuers'));
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Creates a new issuing CA signed by the root and stores it under
 * `issuers/<id>/` as active. Its key is made in software (`key.pem`), or
 * with `token` generated on the token (non-extractable, sign-only) and the
 * certificate stored beside it. When a step after the key generation fails,
 * no folder is left and the error names the key left on the token. The
 * caller retires the issuer it replaces.
 */
export async function addIssuer(options: AddIssuerOptions): Promise<Issuer> {
  const token = options.token;
  let signer: { signer: Pkcs11Signer } | { keyType: CertKeyType } = { keyType: options.keyType };
  if (token !== undefined) {
    const generated = await token.keys.generateKey(token.label, options.keyType);
    try {
      // Some tokens ignore template attributes: an issuing key that could leave the token is refused.
      if (generated.extractable || !generated.sensitive) throw new Error(`the token made key "${token.label}" ${generated.extractable ? 'extractable' : 'not sensitive'} though asked otherwise`);
      signer = { signer: await token.keys.signer(token.label) };
    } catch (err) {
      throw leftOnToken(err, token);
    }
  }
  try {
    const intermediate = await createIntermediateCa({
      root: options.root,
      subject: [
        { type: 'O', value: options.subject.organization },
        { type: 'CN', value: options.subject.commonName },
      ],
      ...signer,
      validitySeconds: options.validityDays * 86400,
      clock: options.clock,
      random: options.random,
    });
    if (options.takenSubjects.some((taken) => Buffer.from(taken).equals(intermediate.subjectDer))) {
      throw new Error(`a CA named "${options.subject.commonName}" exists already; two CAs must not share a name, so run \`certwright issuer add\` again in a second`);
    }
    if (token !== undefined) await token.keys.storeCertificate(token.label, intermediate.certificate);
    writeIssuerFolder(options.dataDir, intermediate, token !== undefined ? { label: token.label } : { pem: (intermediate.signer as SoftwareSigner).exportPrivateKeyPem() });
    return intermediate;
  } catch (err) {
    throw token === undefined ? err : leftOnToken(err, token);
  }
}

/** The error of a failed `issuer add` after its key was generated on the token: what failed, and the key to delete. */
function leftOnToken(err: unknown, token: { keys: TokenKeys; label: string }): Error {
  const why = err instanceof Error ? err.message : String(err);
  const { tokenLabel } = token.keys.config;
  return new Error(
    `${why}; no issuer was added, but the new key pair "${token.label}" (and possibly its certificate) is left unused on PKCS#11 token "${tokenLabel}": delete it, e.g. \`pkcs11-tool --module <module> --token-label ${tokenLabel} --login --delete-object --type privkey --label ${token.label}\` and the same with --type pubkey and --type cert (see docs/operations.md, CA key rollover)`,
    { cause: err },
  );
}
