import { X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as acme from 'acme-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCa } from '@certwright/acme/testing';
import type { TestCa } from '@certwright/acme/testing';

const started: TestCa[] = [];
afterAll(async () => {
  await Promise.all(started.map((ca) => ca.stop()));
});

const noChallengeSetup = { challengeCreateFn: async () => undefined, challengeRemoveFn: async () => undefined };

describe('a user test with createTestCa and acme-client', () => {
  it('starts a test CA and obtains a certificate with auto(); wall time is printed, never asserted', async () => {
    const t0 = performance.now();
    const ca = await createTestCa();
    started.push(ca);
    const client = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 20, backoffMax: 200, backoffAttempts: 40 });
    const [, csr] = await acme.crypto.createCsr({ altNames: ['app.example.com', 'api.example.com'] });
    const pem = await client.auto({ csr, termsOfServiceAgreed: true, skipChallengeVerification: true, challengePriority: ['http-01'], ...noChallengeSetup });
    const elapsed = performance.now() - t0;
    console.log(`createTestCa() + acme-client auto(): ${elapsed.toFixed(0)} ms wall time`);
    const leaf = new X509Certificate(pem);
    expect(leaf.subjectAltName).toBe('DNS:api.example.com, DNS:app.example.com');
    expect(leaf.checkIssued(new X509Certificate(ca.chainPem))).toBe(true);
    expect(new X509Certificate(ca.chainPem).verify(new X509Certificate(ca.rootCertificatePem).publicKey)).toBe(true);
  });

  it('externalAccountRequired: acme-client binds an account with a key from createEabKey, and is refused without one', async () => {
    const ca = await createTestCa({ externalAccountRequired: true });
    started.push(ca);
    const unbound = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey() });
    await expect(unbound.createAccount({ termsOfServiceAgreed: true })).rejects.toThrow(/externalAccountBinding/);
    const eab = await ca.createEabKey();
    const bound = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), externalAccountBinding: { kid: eab.keyId, hmacKey: eab.hmacKey } });
    const account = await bound.createAccount({ termsOfServiceAgreed: true });
    expect(account.status).toBe('valid');
    expect((await ca.store.getEabKey(eab.keyId))?.boundAccountId).toBe(bound.getAccountUrl().split('/').pop());
  });

  it('strict nonce rejection: acme-client retries a badNonce once; at a 10% rate, retrying the whole flow a few times issues', async () => {
    const ca = await createTestCa({ strict: { rejectNonceRate: 0.1, reuseAuthorizations: 'random' } });
    started.push(ca);
    const client = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 20, backoffMax: 200, backoffAttempts: 40 });
    const [, csr] = await acme.crypto.createCsr({ altNames: ['strict.example.com'] });
    let pem: string | undefined;
    for (let attempt = 0; attempt < 10 && pem === undefined; attempt++) {
      try {
        pem = await client.auto({ csr, termsOfServiceAgreed: true, skipChallengeVerification: true, ...noChallengeSetup });
      } catch (err) {
        expect(String(err)).toMatch(/nonce/i);
      }
    }
    expect(pem).toBeDefined();
    expect(new X509Certificate(pem!).subjectAltName).toBe('DNS:strict.example.com');
  });
});
