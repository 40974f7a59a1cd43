/**
 * Issuing CAs beyond the first, for key rollover: each lives in
 * `issuers/<id>/` of the data directory (`cert.pem`: the certificate then
 * the root; `key.pem`: its key, mode 0600; `status`: `active` or `retired`).
 * The first issuing CA keeps its top-level files (`intermediate.pem`,
 * `intermediate-key.pem` or the token); its status, once changed, is
 * `issuers/<id>/status`. A retired issuer issues nothing new but keeps
 * signing OCSP responses and CRLs for what it issued.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createIntermediateCa, importIssuer, toPem, type CertKeyType, type Clock, type Issuer, type IssuerStatus, type Random, type SoftwareSigner } from '@certwright/core';

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

/** `issuer` with its recorded status applied. */
export function withRecordedStatus(dataDir: string, issuer: Issuer, reimport: (status: IssuerStatus) => Issuer): Issuer {
  const status = readIssuerStatus(dataDir, issuer.id);
  return status === issuer.status ? issuer : reimport(status);
}

/** Loads every issuer under `issuers/` that has a certificate (the first issuing CA's status-only folder is skipped). */
export function loadAddedIssuers(dataDir: string): Issuer[] {
  const root = join(dataDir, 'issuers');
  if (!existsSync(root)) return [];
  const issuers: Issuer[] = [];
  for (const id of readdirSync(root).sort()) {
    const dir = issuerDir(dataDir, id);
    if (!existsSync(join(dir, 'cert.pem'))) continue;
    if (!existsSync(join(dir, 'key.pem'))) throw new Error(`${dir} holds cert.pem without key.pem; restore the key from a backup or move the folder away`);
    const issuer = importIssuer({ chainPem: readFileSync(join(dir, 'cert.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'), id, status: readIssuerStatus(dataDir, id) });
    issuers.push(issuer);
  }
  return issuers;
}

/** Options of {@link addIssuer}. */
export interface AddIssuerOptions {
  dataDir: string;
  root: Issuer;
  subject: { organization: string; commonName: string };
  /** Subject names (DER) of the CAs already there; the new one must differ from each (RFC 5280 §4.1.2.6). */
  takenSubjects: readonly Uint8Array[];
  keyType: CertKeyType;
  validityDays: number;
  clock: Clock;
  random: Random;
}

/**
 * Creates a new issuing CA signed by the root, with a software key, stored
 * under `issuers/<id>/` as active. The caller retires the issuer it replaces.
 */
export async function addIssuer(options: AddIssuerOptions): Promise<Issuer> {
  const intermediate = await createIntermediateCa({
    root: options.root,
    subject: [
      { type: 'O', value: options.subject.organization },
      { type: 'CN', value: options.subject.commonName },
    ],
    keyType: options.keyType,
    validitySeconds: options.validityDays * 86400,
    clock: options.clock,
    random: options.random,
  });
  if (options.takenSubjects.some((taken) => Buffer.from(taken).equals(intermediate.subjectDer))) {
    throw new Error(`a CA named "${options.subject.commonName}" exists already; two CAs must not share a name, so run \`certwright issuer add\` again in a second`);
  }
  const dir = issuerDir(options.dataDir, intermediate.id);
  if (existsSync(join(dir, 'cert.pem'))) throw new Error(`${dir} already holds an issuer`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'key.pem'), (intermediate.signer as SoftwareSigner).exportPrivateKeyPem(), { mode: 0o600, flag: 'wx' });
  chmodSync(join(dir, 'key.pem'), 0o600);
  writeFileSync(join(dir, 'cert.pem'), intermediate.chain.map((der) => toPem(der, 'CERTIFICATE')).join(''), { flag: 'wx' });
  writeIssuerStatus(options.dataDir, intermediate.id, 'active');
  return intermediate;
}
