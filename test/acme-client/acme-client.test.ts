import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPem } from '@certwright/core';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExpress, startFastify, startNode } from '../../packages/acme/test/adapters/servers.js';
import type { AdapterFactory, RunningAdapter } from '../../packages/acme/test/adapters/servers.js';
import { e2eHierarchy, sqliteEngine } from './sqlite-engine.js';

/** The order payload type of acme-client 5.4 (it has no `replaces` member, but the payload is sent verbatim). */
type OrderCreateRequest = Parameters<acme.Client['createOrder']>[0];

const NAMES = ['www.e2e.example.com', 'e2e.example.com'];

const ADAPTERS: [string, AdapterFactory][] = [
  ['node:http', startNode],
  ['express', startExpress('json-urlencoded-text')],
  ['fastify', startFastify],
];

/** `openssl verify` of the served chain against the root; returns its output. */
function opensslVerify(rootPem: string, servedPem: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-verify-'));
  try {
    const blocks = servedPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
    writeFileSync(join(dir, 'root.pem'), rootPem);
    writeFileSync(join(dir, 'leaf.pem'), blocks[0] ?? '');
    writeFileSync(join(dir, 'untrusted.pem'), blocks.slice(1).join(''));
    return execFileSync('openssl', ['verify', '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'untrusted.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The ARI certificate id (RFC 9773 §4.1): base64url(AKI keyIdentifier) "." base64url(serial content octets). */
function ariCertId(leafPem: string, issuerKeyId: Uint8Array): string {
  let hex = new X509Certificate(leafPem).serialNumber;
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return `${Buffer.from(issuerKeyId).toString('base64url')}.${Buffer.from(hex, 'hex').toString('base64url')}`;
}

describe.each(ADAPTERS)('acme-client %s end to end against a SQLite-backed engine', (_name, start) => {
  let running: RunningAdapter;
  let dispose: () => Promise<void> = async () => undefined;
  let client: acme.Client;

  beforeAll(async () => {
    await e2eHierarchy();
    running = await start(async (baseUrl) => {
      const made = await sqliteEngine(baseUrl);
      dispose = made.dispose;
      return made.engine;
    });
    client = new acme.Client({
      directoryUrl: `${running.baseUrl}/directory`,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      backoffAttempts: 40,
      backoffMin: 20,
      backoffMax: 200,
    });
  });
  afterAll(async () => {
    await running.close();
    await dispose();
  });

  it('creates an account, orders two names, validates, finalizes, downloads a chain that openssl verifies, renews with ARI replaces and revokes', async () => {
    const account = await client.createAccount({ termsOfServiceAgreed: true, contact: ['mailto:ops@e2e.example.com'] });
    expect(account.status).toBe('valid');
    expect(client.getAccountUrl()).toMatch(new RegExp(`^${running.baseUrl}/acct/`));

    const order = await client.createOrder({ identifiers: NAMES.map((value) => ({ type: 'dns', value })) });
    expect(order.status).toBe('pending');
    const authorizations = await client.getAuthorizations(order);
    expect(authorizations.map((a) => a.identifier.value).sort()).toEqual([...NAMES].sort());
    for (const authz of authorizations) {
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
    }
    const [, csr] = await acme.crypto.createCsr({ altNames: NAMES });
    const finalized = await client.finalizeOrder(order, csr);
    const valid = await client.waitForValidStatus(finalized);
    expect(valid.status).toBe('valid');
    const pem = await client.getCertificate(valid);

    const { root, intermediate } = await e2eHierarchy();
    expect(opensslVerify(toPem(root.certificate, 'CERTIFICATE'), pem)).toMatch(/leaf\.pem: OK/);
    const leaf = new X509Certificate(pem);
    expect(leaf.subjectAltName).toBe('DNS:e2e.example.com, DNS:www.e2e.example.com');

    // acme-client 5.4 has no ARI API, but createOrder sends its argument as the payload verbatim: `replaces` goes through (untyped).
    const certId = ariCertId(pem, intermediate.keyId);
    const renewalInfo = await fetch(`${running.baseUrl}/renewal-info/${certId}`);
    expect(renewalInfo.status).toBe(200);
    expect(((await renewalInfo.json()) as { suggestedWindow: { start: string } }).suggestedWindow.start).toMatch(/^\d{4}-/);
    const renewal = await client.createOrder({ identifiers: NAMES.map((value) => ({ type: 'dns', value })), replaces: certId } as OrderCreateRequest);
    expect((renewal as unknown as { replaces?: string }).replaces).toBe(certId);
    expect(renewal.status).toBe('ready');
    const [, renewCsr] = await acme.crypto.createCsr({ altNames: NAMES });
    const renewedOrder = await client.waitForValidStatus(await client.finalizeOrder(renewal, renewCsr));
    const renewedPem = await client.getCertificate(renewedOrder);
    expect(new X509Certificate(renewedPem).serialNumber).not.toBe(leaf.serialNumber);
    await expect(client.createOrder({ identifiers: NAMES.map((value) => ({ type: 'dns', value })), replaces: certId } as OrderCreateRequest)).rejects.toThrow(/replaced/);

    await client.revokeCertificate(pem, { reason: 4 });
    await expect(client.revokeCertificate(pem)).rejects.toThrow(/already revoked/i);
  });
});
