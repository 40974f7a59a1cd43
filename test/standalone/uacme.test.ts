/**
 * uacme 1.7.4 against the real standalone CA process: http-01 through the
 * hook of test/clients (the key authorization written into a webroot served
 * on the CA's http-01 port), a forced renewal and a revocation, each
 * certificate checked with openssl (verify against root.pem, OCSP, the CRL
 * at the distribution point). uacme trusts only the system CA bundle, so it
 * runs with root.pem bind-mounted over it in a private mount namespace
 * (test/clients/system-trust.ts).
 */
import type { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, expectSuccess, runClient } from '../clients/processes.js';
import { withSystemTrust } from '../clients/system-trust.js';
import { startWebrootServer } from '../clients/webroot-server.js';
import type { WebrootServer } from '../clients/webroot-server.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

const NAME = `uacme.standalone.${TEST_DOMAIN}`;
const HOOK = fileURLToPath(new URL('../clients/hooks/uacme-http01.sh', import.meta.url));

describe('uacme against certwright serve', () => {
  let ca: StandaloneCa;
  let server: WebrootServer;
  let issued: X509Certificate | undefined;

  const dir = (): string => join(ca.workDir, 'uacme');
  const webroot = (): string => join(dir(), 'webroot');
  const certPath = (): string => join(dir(), 'conf', NAME, 'cert.pem');
  const uacme = (args: string[]) => {
    const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', join(dir(), 'conf'), ...args]);
    return runClient(command, wrapped, { env: { UACME_WEBROOT: webroot() }, timeoutMs: 90_000 });
  };

  beforeAll(async () => {
    ca = await startStandaloneCa('uacme');
    await ca.addName(NAME);
    mkdirSync(webroot(), { recursive: true });
    server = await startWebrootServer(webroot(), ca.http01Port);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
  });

  it('creates an account and obtains a certificate with http-01 through the hook', async () => {
    expectSuccess(await uacme(['-y', 'new']));
    const run = expectSuccess(await uacme(['-h', HOOK, 'issue', NAME]));
    issued = await expectValidCertificate(ca, { certPath: certPath(), chainPath: certPath(), names: [NAME], context: describeRun(run) });
  }, 120_000);

  it('renews with --force: a new serial that verifies too', async () => {
    const before = issued!;
    const run = expectSuccess(await uacme(['-f', '-h', HOOK, 'issue', NAME]));
    issued = await expectValidCertificate(ca, { certPath: certPath(), chainPath: certPath(), names: [NAME], context: describeRun(run) });
    expect(issued.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
  }, 120_000);

  it('revokes with the account key: OCSP answers revoked and the CRL at the distribution point lists the serial', async () => {
    const run = expectSuccess(await uacme(['-r', '4', 'revoke', certPath()]));
    await expectRevokedEverywhere(ca, issued!, describeRun(run));
  }, 120_000);
});
