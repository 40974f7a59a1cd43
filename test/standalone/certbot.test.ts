/**
 * certbot 2.x against the real standalone CA process: http-01 with the
 * standalone authenticator on the CA's http-01 port, a forced renewal and a
 * revocation, each certificate checked as a relying party would (openssl
 * verify against root.pem, OCSP, the CRL at the distribution point).
 * certbot trusts the CA's self-issued HTTPS certificate through
 * REQUESTS_CA_BUNDLE=<data dir>/root.pem.
 */
import type { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, expectSuccess, runClient } from '../clients/processes.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

const NAME = `certbot.standalone.${TEST_DOMAIN}`;

describe('certbot against certwright serve', () => {
  let ca: StandaloneCa;
  let issued: X509Certificate | undefined;

  const dir = (): string => join(ca.workDir, 'certbot');
  const certbot = (args: string[]) =>
    runClient('certbot', [...args, '--server', ca.directoryUrl, '--non-interactive', '--config-dir', join(dir(), 'config'), '--work-dir', join(dir(), 'work'), '--logs-dir', join(dir(), 'logs')], {
      env: { REQUESTS_CA_BUNDLE: ca.rootPath },
      timeoutMs: 90_000,
    });
  const live = (file: string): string => join(dir(), 'config', 'live', NAME, file);
  const standalone = (): string[] => ['--standalone', '--http-01-port', String(ca.http01Port), '--http-01-address', '127.0.0.1'];

  beforeAll(async () => {
    ca = await startStandaloneCa('certbot');
    await ca.addName(NAME);
  });
  afterAll(async () => {
    await ca?.stop();
  });

  it('obtains a certificate with http-01 that chains to root.pem and is good in OCSP', async () => {
    const run = expectSuccess(await certbot(['certonly', ...standalone(), '--agree-tos', '--register-unsafely-without-email', '-d', NAME]));
    issued = await expectValidCertificate(ca, { certPath: live('cert.pem'), chainPath: live('chain.pem'), names: [NAME], context: describeRun(run) });
  }, 120_000);

  it('renews with --force-renewal: a new serial that verifies too', async () => {
    const before = issued!;
    const run = expectSuccess(await certbot(['renew', '--force-renewal', '--no-random-sleep-on-renew', '--cert-name', NAME]));
    issued = await expectValidCertificate(ca, { certPath: live('cert.pem'), chainPath: live('chain.pem'), names: [NAME], context: describeRun(run) });
    expect(issued.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
  }, 120_000);

  it('revokes: OCSP answers revoked and the CRL at the distribution point lists the serial', async () => {
    const run = expectSuccess(await certbot(['revoke', '--cert-path', live('cert.pem'), '--reason', 'superseded', '--no-delete-after-revoke']));
    await expectRevokedEverywhere(ca, issued!, describeRun(run));
  }, 120_000);
});
