import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type TestCa } from '@certwright/acme/testing';
import { seededRandom, type LogEvent } from '@certwright/core';
import { obtainCertificate } from '../src/renew.js';

/*
 * The application's renewal code (src/renew.ts) tested end to end against
 * an in-process ACME CA: real HTTP, real JWS, real certificates, no
 * network beyond loopback and no challenge setup (auto-valid challenges).
 */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-renew-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The PEM blocks of a file, in order. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

describe('obtainCertificate against a test CA', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await createTestCa();
  });
  afterAll(() => ca.stop());

  it('obtains a certificate for the names, chaining to the test root, and renews it with a new serial', async () => {
    const outDir = tempDir();
    const names = ['app.example.com', 'www.app.example.com'];
    const first = await obtainCertificate({ directoryUrl: ca.directoryUrl, names, outDir });
    expect(first.attempts).toBe(1);

    const [leafPem, ...chain] = pemBlocks(readFileSync(first.certPath, 'utf8'));
    const leaf = new X509Certificate(leafPem!);
    expect(leaf.subjectAltName).toBe('DNS:app.example.com, DNS:www.app.example.com');
    expect(leaf.serialNumber).toBe(first.serialNumber);
    const root = new X509Certificate(ca.rootCertificatePem);
    const intermediate = new X509Certificate(chain[0]!);
    expect(chain).toHaveLength(1);
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(leaf.verify(intermediate.publicKey)).toBe(true);
    expect(leaf.checkIssued(intermediate)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(first.keyPath)))).toBe(true);
    expect(statSync(first.keyPath).mode & 0o777).toBe(0o600);

    const renewed = await obtainCertificate({ directoryUrl: ca.directoryUrl, names, outDir });
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(new X509Certificate(readFileSync(renewed.certPath, 'utf8')).serialNumber).toBe(renewed.serialNumber);
    // The same ACME account both times: the account key was kept in outDir.
    const orders = await Promise.all([first, renewed].map((r) => ca.store.getOrderByCertificateSerial(r.serialNumber.toLowerCase())));
    expect(orders[0]?.accountId).toBeDefined();
    expect(orders[1]?.accountId).toBe(orders[0]?.accountId);
  });
});

describe('obtainCertificate against a CA that refuses nonces', () => {
  const events: LogEvent[] = [];
  const badNonces = (): number => events.filter((e) => e['event'] === 'acme.request' && e['problem'] === 'urn:ietf:params:acme:error:badNonce').length;

  it('still gets its certificate when 30% of nonces are refused with badNonce', async () => {
    const ca = await createTestCa({ strict: { rejectNonceRate: 0.3 }, random: seededRandom(7), logger: (e) => events.push(e) });
    try {
      const result = await obtainCertificate({ directoryUrl: ca.directoryUrl, names: ['nonce.example.com'], outDir: tempDir() });
      expect(new X509Certificate(readFileSync(result.certPath, 'utf8')).subjectAltName).toBe('DNS:nonce.example.com');
      // The retry path really ran: the CA refused nonces along the way.
      expect(badNonces()).toBeGreaterThan(0);
    } finally {
      await ca.stop();
    }
  });

  it('starts the whole flow again when acme-client gives up, and stops after `attempts`', async () => {
    events.length = 0;
    const ca = await createTestCa({ strict: { rejectNonceRate: 1 }, logger: (e) => events.push(e) });
    try {
      const run = obtainCertificate({ directoryUrl: ca.directoryUrl, names: ['never.example.com'], outDir: tempDir(), attempts: 2 });
      await expect(run).rejects.toThrow(/failed after 2 attempt\(s\): .*nonce/i);
      // Each attempt: the first signed request and acme-client's 5 retries of it, all refused.
      expect(badNonces()).toBe(2 * 6);
    } finally {
      await ca.stop();
    }
  });

  it('does not retry an error that is not about nonces', async () => {
    const ca = await createTestCa();
    try {
      const run = obtainCertificate({ directoryUrl: ca.directoryUrl, names: ['bad_name.example.com'], outDir: tempDir(), attempts: 3 });
      await expect(run).rejects.toThrow(/failed after 1 attempt\(s\)/);
    } finally {
      await ca.stop();
    }
  });
});

describe('obtainCertificate arguments', () => {
  it('refuses an empty list of names before contacting the CA', async () => {
    await expect(obtainCertificate({ directoryUrl: 'http://127.0.0.1:1/directory', names: [], outDir: tempDir() })).rejects.toThrow('give at least one name');
  });
});
