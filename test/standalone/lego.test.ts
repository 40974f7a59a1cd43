/**
 * lego 4.x against the real standalone CA process: http-01 (lego's own
 * server on the CA's http-01 port) and dns-01 (the exec provider publishing
 * the TXT record in the pebble-challtestsrv the CA resolves through,
 * CERTWRIGHT_DNS_RESOLVER), tls-alpn-01 (lego's own server on the CA's
 * tls-alpn-01 port), a forced renewal and revocations, each
 * certificate checked with openssl (verify against root.pem, OCSP, the CRL
 * at the distribution point). lego trusts the CA through LEGO_CA_CERTIFICATES.
 */
import type { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, expectSuccess, runClient } from '../clients/processes.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

const HTTP = `lego-http.standalone.${TEST_DOMAIN}`;
const DNS = `lego-dns.standalone.${TEST_DOMAIN}`;
const TLS = `lego-tls.standalone.${TEST_DOMAIN}`;
const EXEC_HOOK = fileURLToPath(new URL('../clients/hooks/lego-exec-dns.sh', import.meta.url));

describe('lego against certwright serve', () => {
  let ca: StandaloneCa;
  const issued: Record<string, X509Certificate> = {};

  const dir = (): string => join(ca.workDir, 'lego');
  const httpSolver = (): string[] => ['--http', '--http.port', `127.0.0.1:${ca.http01Port}`];
  const tlsSolver = (): string[] => ['--tls', '--tls.port', `127.0.0.1:${ca.tlsAlpn01Port}`];
  const dnsSolver = (): string[] => ['--dns', 'exec', '--dns.resolvers', ca.dns.server, '--dns.disable-cp'];
  const lego = (name: string, solver: string[], command: string[]) =>
    runClient('lego', ['--server', ca.directoryUrl, '--accept-tos', '--email', `ops@${TEST_DOMAIN}`, '--path', dir(), '--domains', name, ...solver, ...command], {
      env: {
        LEGO_CA_CERTIFICATES: ca.rootPath,
        EXEC_PATH: EXEC_HOOK,
        CHALLTESTSRV_URL: ca.dns.managementUrl,
        EXEC_SEQUENCE_INTERVAL: '1',
        EXEC_POLLING_INTERVAL: '1',
        EXEC_PROPAGATION_TIMEOUT: '30',
      },
      timeoutMs: 90_000,
    });
  const saved = (name: string, context: string) => ({
    certPath: join(dir(), 'certificates', `${name}.crt`),
    chainPath: join(dir(), 'certificates', `${name}.issuer.crt`),
    names: [name],
    context,
  });

  beforeAll(async () => {
    ca = await startStandaloneCa('lego');
    for (const name of [HTTP, DNS, TLS]) await ca.addName(name);
  });
  afterAll(async () => {
    await ca?.stop();
  });

  it('obtains a certificate with http-01', async () => {
    const run = expectSuccess(await lego(HTTP, httpSolver(), ['run']));
    issued[HTTP] = await expectValidCertificate(ca, saved(HTTP, describeRun(run)));
  }, 120_000);

  it('obtains a certificate with dns-01 through the CA-side resolver', async () => {
    const run = expectSuccess(await lego(DNS, dnsSolver(), ['run']));
    issued[DNS] = await expectValidCertificate(ca, saved(DNS, describeRun(run)));
  }, 120_000);

  it('obtains a certificate with tls-alpn-01', async () => {
    const run = expectSuccess(await lego(TLS, tlsSolver(), ['run']));
    issued[TLS] = await expectValidCertificate(ca, saved(TLS, describeRun(run)));
  }, 120_000);

  it('renews the http-01 certificate with renew --days 9999: a new serial that verifies too', async () => {
    const before = issued[HTTP]!;
    const run = expectSuccess(await lego(HTTP, httpSolver(), ['renew', '--days', '9999', '--no-random-sleep']));
    issued[HTTP] = await expectValidCertificate(ca, saved(HTTP, describeRun(run)));
    expect(issued[HTTP].serialNumber, describeRun(run)).not.toBe(before.serialNumber);
  }, 120_000);

  it('revokes all three: OCSP answers revoked and the CRL at the distribution point lists each serial', async () => {
    for (const [name, solver] of [
      [HTTP, httpSolver()],
      [DNS, dnsSolver()],
      [TLS, tlsSolver()],
    ] as const) {
      const run = expectSuccess(await lego(name, solver, ['revoke', '--keep', '--reason', '4']));
      await expectRevokedEverywhere(ca, issued[name]!, describeRun(run));
    }
  }, 120_000);
});
