/**
 * lego 4.x against a certwright CA with real validation: http-01 (lego's
 * own server), dns-01 through the exec provider (a hook that publishes
 * the TXT record in pebble-challtestsrv, the CA's DNS server) and
 * tls-alpn-01; then a forced renewal (`renew --days 9999`) and
 * revocations. lego trusts the CA's root through LEGO_CA_CERTIFICATES.
 */
import type { X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued, expectRevoked } from './checks.js';
import { CAA_IDENTITY, TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, freePort, runClient, tempDir } from './processes.js';

const HTTP = `lego-http.${TEST_DOMAIN}`;
const DNS = [`lego-dns.${TEST_DOMAIN}`, `www.lego-dns.${TEST_DOMAIN}`];
const TLS = `lego-tls.${TEST_DOMAIN}`;
const WRONG_PORT = `lego-wrong-port.${TEST_DOMAIN}`;
const OTHER_CA = `lego-other-ca.${TEST_DOMAIN}`;
const EXEC_HOOK = fileURLToPath(new URL('./hooks/lego-exec-dns.sh', import.meta.url));

describe('lego against a certwright CA (real http-01, dns-01 and tls-alpn-01 validation)', () => {
  let ca: ClientTestCa;
  let dir: string;
  const issued: Record<string, X509Certificate> = {};

  const httpSolver = (): string[] => ['--http', '--http.port', `127.0.0.1:${ca.http01Port}`];
  const lego = (names: readonly string[], solver: string[], command: string[]) =>
    runClient('lego', ['--server', ca.directoryUrl, '--accept-tos', '--email', `ops@${TEST_DOMAIN}`, '--path', dir, ...names.flatMap((n) => ['--domains', n]), ...solver, ...command], {
      env: {
        LEGO_CA_CERTIFICATES: ca.rootPath,
        EXEC_PATH: EXEC_HOOK,
        CHALLTESTSRV_URL: ca.dns.managementUrl,
        // The exec provider solves names one after the other and waits
        // EXEC_SEQUENCE_INTERVAL (default 60 s) in between; the test DNS
        // server answers at once.
        EXEC_SEQUENCE_INTERVAL: '1',
        EXEC_POLLING_INTERVAL: '1',
        EXEC_PROPAGATION_TIMEOUT: '30',
      },
      timeoutMs: 90_000,
    });
  const files = (name: string) => ({ certPath: join(dir, 'certificates', `${name}.crt`), chainPath: join(dir, 'certificates', `${name}.issuer.crt`) });

  beforeAll(async () => {
    ca = await startClientTestCa('lego');
    dir = tempDir('lego');
    for (const name of [HTTP, ...DNS, TLS, WRONG_PORT, OTHER_CA]) await ca.addName(name);
    await ca.dns.addCaa(HTTP, [{ tag: 'issue', value: CAA_IDENTITY }]);
    await ca.dns.addCaa(OTHER_CA, [{ tag: 'issue', value: 'other-ca.example' }]);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('registers and obtains a certificate with http-01, the CAA record naming this CA', async () => {
    const run = expectSuccess(await lego([HTTP], httpSolver(), ['run']));
    issued[HTTP] = await expectIssued(ca, { ...files(HTTP), names: [HTTP], challenge: 'http-01', context: describeRun(run) });
    const [validated] = await ca.validatedChallenges(issued[HTTP]);
    expect(validated?.validationRecord, describeRun(run)).toContainEqual({ caa: expect.objectContaining({ outcome: 'authorized', domain: HTTP }) });
  }, 120_000);

  it('gets no certificate when it answers http-01 on a port the CA does not dial', async () => {
    const run = await lego([WRONG_PORT], ['--http', '--http.port', `127.0.0.1:${await freePort()}`], ['run']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toContain('urn:ietf:params:acme:error:connection');
    expect(run.stdout + run.stderr, describeRun(run)).toContain(`127.0.0.1 port ${ca.http01Port}`);
  }, 120_000);

  it('gets no certificate for a name whose CAA record names another CA', async () => {
    const run = await lego([OTHER_CA], httpSolver(), ['run']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toMatch(/urn:ietf:params:acme:error:caa/);
    expect(run.stdout + run.stderr, describeRun(run)).toContain('other-ca.example');
  }, 120_000);

  it('obtains a two-name certificate with dns-01 through the exec provider and the test DNS server', async () => {
    const solver = ['--dns', 'exec', '--dns.resolvers', ca.dns.server, '--dns.disable-cp'];
    const run = expectSuccess(await lego(DNS, solver, ['run']));
    issued[DNS[0]!] = await expectIssued(ca, { ...files(DNS[0]!), names: DNS, challenge: 'dns-01', context: describeRun(run) });
  }, 120_000);

  it('obtains a certificate with tls-alpn-01', async () => {
    const run = expectSuccess(await lego([TLS], ['--tls', '--tls.port', `127.0.0.1:${ca.tlsAlpn01Port}`], ['run']));
    issued[TLS] = await expectIssued(ca, { ...files(TLS), names: [TLS], challenge: 'tls-alpn-01', context: describeRun(run) });
  }, 120_000);

  it('renews the http-01 certificate with renew --days 9999: a new serial, same names', async () => {
    const before = issued[HTTP]!;
    const run = expectSuccess(await lego([HTTP], httpSolver(), ['renew', '--days', '9999', '--no-random-sleep']));
    const renewed = await expectIssued(ca, { ...files(HTTP), names: [HTTP], challenge: 'reused', context: describeRun(run) });
    expect(renewed.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
    issued[HTTP] = renewed;
  }, 120_000);

  it('revokes each certificate with the account key and the reason given', async () => {
    const cases: [string, string[], 0 | 4 | 5][] = [
      [HTTP, ['--reason', '4'], 4],
      [DNS[0]!, ['--reason', '5'], 5],
      [TLS, [], 0],
    ];
    for (const [name, reason, code] of cases) {
      const names = name === DNS[0] ? DNS : [name];
      const run = expectSuccess(await lego(names, httpSolver(), ['revoke', '--keep', ...reason]));
      await expectRevoked(ca, issued[name]!, code, describeRun(run));
    }
  }, 120_000);
});
