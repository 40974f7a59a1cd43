/**
 * The assertions every issuance in the real-client tests must pass: the
 * saved certificate names exactly the requested names, chains to the CA's
 * root (openssl verify), is recorded `issued` in the SQL store, and its
 * order's authorizations were validated by the expected challenge type.
 */
import type { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ChallengeType, RevocationReason } from '@certwright/core';
import { expect } from 'vitest';
import { leafOf, opensslVerify, subjectAltNames } from './certificates.js';
import type { ClientTestCa } from './harness.js';

/** What a client saved and what it asked for. */
export interface IssuedFiles {
  /** The file whose first certificate is the leaf. */
  readonly certPath: string;
  /** A file holding the intermediate (may also hold the leaf). */
  readonly chainPath: string;
  /** The identifiers requested: DNS names (wildcards included) and IP addresses (RFC 8738). */
  readonly names: readonly string[];
  /**
   * The challenge type the CA must have validated each name with, or
   * `'reused'` when the order reused earlier authorizations (renewal).
   */
  readonly challenge: ChallengeType | 'reused';
  /** Client output to show when an assertion fails. */
  readonly context: string;
}

/** The subjectAltName entry as Node prints it: `DNS:name` or `IP Address:addr`. */
function sanEntry(name: string): string {
  return isIP(name) === 0 ? `DNS:${name}` : `IP Address:${name}`;
}

/** Checks one issuance and returns the leaf. */
export async function expectIssued(ca: ClientTestCa, files: IssuedFiles): Promise<X509Certificate> {
  const { context } = files;
  expect(existsSync(files.certPath), `${files.certPath} missing\n${context}`).toBe(true);
  expect(existsSync(files.chainPath), `${files.chainPath} missing\n${context}`).toBe(true);
  const leaf = leafOf(files.certPath);
  expect(subjectAltNames(leaf), context).toEqual(files.names.map(sanEntry).sort());
  expect(opensslVerify(ca.rootPath, files.chainPath, files.certPath), context).toMatch(/: OK\s*$/);

  const record = await ca.certificateRecord(leaf);
  expect(record.state, context).toBe('issued');
  expect(record.revokedAt, context).toBeUndefined();
  expect(record.identifiers.map((i) => i.value).sort(), context).toEqual([...files.names].sort());

  if (files.challenge !== 'reused') {
    const validated = await ca.validatedChallenges(leaf);
    // A wildcard's authorization names the base domain (RFC 8555 §7.1.4).
    expect(validated.map((v) => `${v.identifier} ${v.type}`).sort(), context).toEqual(files.names.map((n) => `${n.replace(/^\*\./, '')} ${files.challenge}`).sort());
    for (const v of validated) {
      const entry = v.validationRecord[0] as Record<string, unknown> | undefined;
      if (v.type === 'http-01') {
        expect(entry, context).toMatchObject({ hostname: v.identifier, port: ca.http01Port, addressUsed: '127.0.0.1', status: 200 });
      } else if (v.type === 'dns-01') {
        expect(entry, context).toMatchObject({ hostname: v.identifier, recordName: `_acme-challenge.${v.identifier}` });
      } else {
        expect(entry, context).toMatchObject({ hostname: v.identifier, port: ca.tlsAlpn01Port, addressUsed: '127.0.0.1' });
      }
    }
  }
  return leaf;
}

/** Checks that the store shows `cert` revoked with `reason` (RFC 5280 §5.3.1 code). */
export async function expectRevoked(ca: ClientTestCa, cert: X509Certificate, reason: RevocationReason, context: string): Promise<void> {
  const record = await ca.certificateRecord(cert);
  expect(record.revokedAt, `certificate ${record.serial} is not revoked in the store\n${context}`).toBeInstanceOf(Date);
  expect(record.revocationReason, context).toBe(reason);
}
