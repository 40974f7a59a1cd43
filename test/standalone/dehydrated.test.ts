/**
 * dehydrated 0.7 against the real standalone CA process: http-01 through a
 * webroot served on the CA's http-01 port, a forced renewal and a
 * revocation, each certificate checked with openssl (verify against
 * root.pem, OCSP, the CRL at the distribution point). dehydrated calls
 * curl, which trusts the CA through CURL_CA_BUNDLE.
 */
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, expectSuccess, runClient } from '../clients/processes.js';
import { startWebrootServer } from '../clients/webroot-server.js';
import type { WebrootServer } from '../clients/webroot-server.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

const NAME = `dehydrated.standalone.${TEST_DOMAIN}`;

describe('dehydrated against certwright serve', () => {
  let ca: StandaloneCa;
  let server: WebrootServer;
  let config: string;
  let issued: X509Certificate | undefined;

  const dir = (): string => join(ca.workDir, 'dehydrated');
  const dehydrated = (args: string[]) => runClient('dehydrated', ['--config', config, ...args], { env: { CURL_CA_BUNDLE: ca.rootPath }, timeoutMs: 90_000 });
  const saved = (context: string) => ({ certPath: join(dir(), 'certs', NAME, 'cert.pem'), chainPath: join(dir(), 'certs', NAME, 'chain.pem'), names: [NAME], context });

  beforeAll(async () => {
    ca = await startStandaloneCa('dehydrated');
    await ca.addName(NAME);
    const wellKnown = join(dir(), 'webroot', '.well-known', 'acme-challenge');
    mkdirSync(wellKnown, { recursive: true });
    config = join(dir(), 'config');
    writeFileSync(config, [`CA="${ca.directoryUrl}"`, 'CHALLENGETYPE="http-01"', `BASEDIR="${dir()}"`, `WELLKNOWN="${wellKnown}"`, ''].join('\n'));
    server = await startWebrootServer(join(dir(), 'webroot'), ca.http01Port);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
  });

  it('registers and obtains a certificate with http-01 through the webroot', async () => {
    expectSuccess(await dehydrated(['--register', '--accept-terms']));
    const run = expectSuccess(await dehydrated(['-c', '-d', NAME]));
    issued = await expectValidCertificate(ca, saved(describeRun(run)));
    expect(server.requests.some((r) => r.path.startsWith('/.well-known/acme-challenge/') && r.status === 200), describeRun(run)).toBe(true);
  }, 120_000);

  it('renews with --force: a new serial that verifies too', async () => {
    const before = issued!;
    const run = expectSuccess(await dehydrated(['-c', '--force', '-d', NAME]));
    issued = await expectValidCertificate(ca, saved(describeRun(run)));
    expect(issued.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
  }, 120_000);

  it('revokes: OCSP answers revoked and the CRL at the distribution point lists the serial', async () => {
    const run = expectSuccess(await dehydrated(['-r', join(dir(), 'certs', NAME, 'cert.pem')]));
    await expectRevokedEverywhere(ca, issued!, describeRun(run));
  }, 120_000);
});
