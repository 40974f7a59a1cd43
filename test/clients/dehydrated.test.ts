/**
 * dehydrated 0.7 against a certwright CA with real http-01 validation:
 * a config file (CA, CHALLENGETYPE, WELLKNOWN, BASEDIR), registration,
 * a two-name certificate with the challenge files written to a webroot
 * that a small HTTP server serves on the CA's http-01 port, a forced
 * renewal, and revocation. dehydrated calls curl,
 * which trusts the CA's root through CURL_CA_BUNDLE.
 */
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued, expectRevoked } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

const NAMES = [`dehydrated.${TEST_DOMAIN}`, `www.dehydrated.${TEST_DOMAIN}`];

describe('dehydrated against a certwright CA (real http-01 validation through a webroot)', () => {
  let ca: ClientTestCa;
  let dir: string;
  let server: WebrootServer;
  let config: string;
  let issued: X509Certificate | undefined;

  const dehydrated = (args: string[]) => runClient('dehydrated', ['--config', config, ...args], { env: { CURL_CA_BUNDLE: ca.rootPath }, timeoutMs: 90_000 });
  const certFile = (file: string): string => join(dir, 'certs', NAMES[0]!, file);
  const tokensServed = (): number => server.requests.filter((r) => r.path.startsWith('/.well-known/acme-challenge/') && r.status === 200).length;

  beforeAll(async () => {
    ca = await startClientTestCa('dehydrated');
    dir = tempDir('dehydrated');
    const wellKnown = join(dir, 'webroot', '.well-known', 'acme-challenge');
    mkdirSync(wellKnown, { recursive: true });
    config = join(dir, 'config');
    writeFileSync(config, [`CA="${ca.directoryUrl}"`, 'CHALLENGETYPE="http-01"', `BASEDIR="${dir}"`, `WELLKNOWN="${wellKnown}"`, 'KEY_ALGO="secp384r1"', ''].join('\n'));
    server = await startWebrootServer(join(dir, 'webroot'), ca.http01Port);
    for (const name of NAMES) await ca.addName(name);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('registers an account and issues a two-name certificate', async () => {
    expectSuccess(await dehydrated(['--register', '--accept-terms']));
    const run = expectSuccess(await dehydrated(['-c', ...NAMES.flatMap((n) => ['-d', n])]));
    issued = await expectIssued(ca, { certPath: certFile('cert.pem'), chainPath: certFile('chain.pem'), names: NAMES, challenge: 'http-01', context: describeRun(run) });
    expect(tokensServed(), describeRun(run)).toBeGreaterThanOrEqual(NAMES.length);
  }, 120_000);

  it('renews with --force: a new serial, same names, the valid authorizations reused', async () => {
    const before = issued!;
    const run = expectSuccess(await dehydrated(['-c', '--force', ...NAMES.flatMap((n) => ['-d', n])]));
    const renewed = await expectIssued(ca, { certPath: certFile('cert.pem'), chainPath: certFile('chain.pem'), names: NAMES, challenge: 'reused', context: describeRun(run) });
    expect(renewed.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
    issued = renewed;
  }, 120_000);

  it('revokes the certificate with the account key', async () => {
    const run = expectSuccess(await dehydrated(['-r', certFile('cert.pem')]));
    await expectRevoked(ca, issued!, 0, describeRun(run));
  }, 120_000);
});
