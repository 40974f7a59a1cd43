/**
 * acme-client (the Node library) against the real standalone CA process:
 * http-01 answered from a webroot served on the CA's http-01 port, a
 * renewal (a second order, the valid authorization reused) and a
 * revocation, each certificate checked with openssl (verify against
 * root.pem, OCSP, the CRL at the distribution point). The library trusts
 * the CA through an https.Agent holding root.pem.
 */
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebrootServer } from '../clients/webroot-server.js';
import type { WebrootServer } from '../clients/webroot-server.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

const NAME = `acme-client.standalone.${TEST_DOMAIN}`;

describe('acme-client against certwright serve', () => {
  let ca: StandaloneCa;
  let server: WebrootServer;
  let client: acme.Client;
  let pem = '';
  let issued: X509Certificate | undefined;

  const dir = (): string => join(ca.workDir, 'acme-client');
  const tokenPath = (token: string): string => join(dir(), 'webroot', '.well-known', 'acme-challenge', token);
  const certPath = (): string => join(dir(), 'cert.pem');

  /** One order through `auto` (RFC 8555 §7.4): http-01 only, the key authorization written to the webroot. */
  const obtain = async (): Promise<X509Certificate> => {
    const [, csr] = await acme.crypto.createCsr({ commonName: NAME, altNames: [NAME] });
    pem = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      // auto() would first fetch the token itself through the host's resolver, which does not know the test names.
      skipChallengeVerification: true,
      challengePriority: ['http-01'],
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => writeFileSync(tokenPath(challenge.token), keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => rmSync(tokenPath(challenge.token), { force: true }),
    });
    writeFileSync(certPath(), pem);
    return expectValidCertificate(ca, { certPath: certPath(), chainPath: certPath(), names: [NAME], context: pem });
  };

  beforeAll(async () => {
    ca = await startStandaloneCa('acme-client');
    await ca.addName(NAME);
    mkdirSync(join(dir(), 'webroot', '.well-known', 'acme-challenge'), { recursive: true });
    server = await startWebrootServer(join(dir(), 'webroot'), ca.http01Port);
    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(ca.rootPath, 'utf8') });
    client = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 100, backoffMax: 1000, backoffAttempts: 30 });
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
  });

  it('obtains a certificate with http-01, the CA fetching the token from the webroot', async () => {
    issued = await obtain();
    expect(server.requests.filter((r) => r.path.startsWith('/.well-known/acme-challenge/') && r.status === 200).length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('renews with a second order: a new serial that verifies too', async () => {
    const before = issued!;
    issued = await obtain();
    expect(issued.serialNumber).not.toBe(before.serialNumber);
  }, 60_000);

  it('revokes: OCSP answers revoked and the CRL at the distribution point lists the serial', async () => {
    await client.revokeCertificate(pem, { reason: 4 });
    await expectRevokedEverywhere(ca, issued!, 'acme-client revokeCertificate');
  }, 60_000);
});
