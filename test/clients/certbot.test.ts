/**
 * certbot 2.x against a certwright CA with real validation: http-01 with
 * the standalone authenticator and with a webroot (two names), forced
 * renewal, and revocation signed by the account key and by the
 * certificate key (keyCompromise). certbot trusts the CA's root through
 * REQUESTS_CA_BUNDLE.
 */
import type { X509Certificate } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafOf } from './certificates.js';
import { expectIssued, expectRevoked } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { startWebrootServer } from './webroot-server.js';

const STANDALONE = `certbot-standalone.${TEST_DOMAIN}`;
const WEBROOT = [`certbot-webroot.${TEST_DOMAIN}`, `www.certbot-webroot.${TEST_DOMAIN}`];

describe('certbot against a certwright CA (real http-01 validation)', () => {
  let ca: ClientTestCa;
  let dir: string;
  const issued: Record<string, X509Certificate> = {};

  const certbot = (args: string[]) =>
    runClient('certbot', [...args, '--server', ca.directoryUrl, '--non-interactive', '--config-dir', join(dir, 'config'), '--work-dir', join(dir, 'work'), '--logs-dir', join(dir, 'logs')], {
      env: { REQUESTS_CA_BUNDLE: ca.rootPath },
      timeoutMs: 90_000,
    });
  const live = (name: string, file: string): string => join(dir, 'config', 'live', name, file);

  beforeAll(async () => {
    ca = await startClientTestCa('certbot');
    dir = tempDir('certbot');
    for (const name of [STANDALONE, ...WEBROOT]) await ca.addName(name);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('registers and obtains a certificate with the standalone http-01 authenticator', async () => {
    const run = expectSuccess(
      await certbot(['certonly', '--standalone', '--http-01-port', String(ca.http01Port), '--http-01-address', '127.0.0.1', '--agree-tos', '--register-unsafely-without-email', '-d', STANDALONE]),
    );
    issued[STANDALONE] = await expectIssued(ca, { certPath: live(STANDALONE, 'cert.pem'), chainPath: live(STANDALONE, 'chain.pem'), names: [STANDALONE], challenge: 'http-01', context: describeRun(run) });
    expect(leafOf(live(STANDALONE, 'fullchain.pem')).serialNumber).toBe(issued[STANDALONE].serialNumber);
  }, 120_000);

  it('obtains a two-name certificate with the webroot authenticator, the CA fetching each token from the webroot', async () => {
    const webroot = join(dir, 'webroot');
    mkdirSync(webroot);
    const server = await startWebrootServer(webroot, ca.http01Port);
    try {
      const run = expectSuccess(await certbot(['certonly', '--webroot', '-w', webroot, ...WEBROOT.flatMap((n) => ['-d', n])]));
      const name = WEBROOT[0]!;
      issued[name] = await expectIssued(ca, { certPath: live(name, 'cert.pem'), chainPath: live(name, 'chain.pem'), names: WEBROOT, challenge: 'http-01', context: describeRun(run) });
      const served = server.requests.filter((r) => r.path.startsWith('/.well-known/acme-challenge/') && r.status === 200);
      expect(served.length, describeRun(run)).toBeGreaterThanOrEqual(WEBROOT.length);
      expect(new Set(served.map((r) => r.remoteAddress))).toEqual(new Set(['127.0.0.1']));
    } finally {
      await server.close();
    }
  }, 120_000);

  it('renews the standalone certificate with --force-renewal: a new serial, same names', async () => {
    const before = issued[STANDALONE]!;
    const run = expectSuccess(await certbot(['renew', '--force-renewal', '--no-random-sleep-on-renew', '--cert-name', STANDALONE]));
    const renewed = await expectIssued(ca, { certPath: live(STANDALONE, 'cert.pem'), chainPath: live(STANDALONE, 'chain.pem'), names: [STANDALONE], challenge: 'reused', context: describeRun(run) });
    expect(renewed.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
    expect((await ca.certificateRecord(before)).state).toBe('issued');
    issued[STANDALONE] = renewed;
  }, 120_000);

  it('revokes with the account key (superseded) and with the certificate key (keyCompromise, key blocked)', async () => {
    const byAccount = expectSuccess(await certbot(['revoke', '--cert-path', live(STANDALONE, 'cert.pem'), '--reason', 'superseded', '--no-delete-after-revoke']));
    await expectRevoked(ca, issued[STANDALONE]!, 4, describeRun(byAccount));

    const name = WEBROOT[0]!;
    const byKey = expectSuccess(
      await certbot(['revoke', '--cert-path', live(name, 'cert.pem'), '--key-path', live(name, 'privkey.pem'), '--reason', 'keycompromise', '--no-delete-after-revoke']),
    );
    const cert = issued[name]!;
    await expectRevoked(ca, cert, 1, describeRun(byKey));
    const spkiSha256 = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
    expect(await ca.store.getBlockedKey(spkiSha256), describeRun(byKey)).toMatchObject({ reason: 'keyCompromise' });
  }, 120_000);
});
