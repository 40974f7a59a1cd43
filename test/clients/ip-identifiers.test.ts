/**
 * IP address identifiers (RFC 8738) through real clients: a CA whose
 * identifier policy accepts 127.0.0.0/8 certifies `127.0.0.1` (beside a DNS
 * name, and alone) after http-01 validation at that address (RFC 8738 §7:
 * no dns-01 for an IP), the certificate carrying an iPAddress SAN and
 * verifying with openssl. uacme 1.7 supports IP identifiers (`issue NAME
 * 127.0.0.1`, a hook answering http-01, and ualpn answering tls-alpn-01
 * with the reverse-DNS SNI of RFC 8738 §6); an address outside the allowed
 * ranges is refused with `rejectedIdentifier`. lego 4.9 has no IP
 * identifiers: it orders an address as a `dns` identifier, which the CA
 * refuses with `malformed` naming RFC 8738.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { legoDomains, legoHttpSolver, runLego } from './runners.js';
import { withSystemTrust } from './system-trust.js';
import { startUalpn } from './ualpn-server.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

const IP = '127.0.0.1';

describe('IP address identifiers (RFC 8738) through uacme (lego 4.9 has none)', () => {
  const HOOK = fileURLToPath(new URL('./hooks/uacme-http01.sh', import.meta.url));
  let ca: ClientTestCa;
  let dir: string;
  let server: WebrootServer;
  const uacme = (args: string[]) => {
    const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', join(dir, 'uacme'), ...args]);
    return runClient(command, wrapped, { env: { UACME_WEBROOT: join(dir, 'webroot') }, timeoutMs: 90_000 });
  };

  beforeAll(async () => {
    ca = await startClientTestCa('ip', { allowedIpRanges: ['127.0.0.0/8'] });
    dir = tempDir('ip');
    mkdirSync(join(dir, 'webroot'));
    server = await startWebrootServer(join(dir, 'webroot'), ca.http01Port);
    await ca.addName(`uacme-ip.${TEST_DOMAIN}`);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('uacme issues a certificate for a name and 127.0.0.1, both validated by http-01', async () => {
    const name = `uacme-ip.${TEST_DOMAIN}`;
    expectSuccess(await uacme(['-y', 'new']));
    const run = expectSuccess(await uacme(['-h', HOOK, 'issue', name, IP]));
    const certPath = join(dir, 'uacme', name, 'cert.pem');
    await expectIssued(ca, { certPath, chainPath: certPath, names: [name, IP], challenge: 'http-01', context: describeRun(run) });
  }, 120_000);

  it('uacme issues a certificate for 127.0.0.1 alone', async () => {
    const run = expectSuccess(await uacme(['-h', HOOK, 'issue', IP]));
    const certPath = join(dir, 'uacme', IP, 'cert.pem');
    await expectIssued(ca, { certPath, chainPath: certPath, names: [IP], challenge: 'reused', context: describeRun(run) });
  }, 120_000);

  it('uacme issues a certificate for a name and 127.0.0.1 validated by tls-alpn-01 through ualpn (SNI 1.0.0.127.in-addr.arpa for the address)', async () => {
    const name = `uacme-alpn-ip.${TEST_DOMAIN}`;
    await ca.addName(name);
    const ualpn = await startUalpn(dir, ca.tlsAlpn01Port);
    try {
      const conf = join(dir, 'uacme-alpn');
      const alpnHook = fileURLToPath(new URL('./hooks/uacme-ualpn.sh', import.meta.url));
      const run = (args: string[]) => {
        const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', conf, ...args]);
        return runClient(command, wrapped, { env: { UALPN_SOCK: ualpn.socketPath }, timeoutMs: 90_000 });
      };
      expectSuccess(await run(['-y', 'new']));
      const issued = await run(['-h', alpnHook, 'issue', name, IP]);
      expectSuccess({ ...issued, stderr: `${issued.stderr}\n--- ualpn ---\n${ualpn.output()}` });
      const certPath = join(conf, name, 'cert.pem');
      await expectIssued(ca, { certPath, chainPath: certPath, names: [name, IP], challenge: 'tls-alpn-01', context: describeRun(issued) });
      // ualpn answers an address's challenge only on the SNI RFC 8738 §6 names.
      expect(ualpn.output(), describeRun(issued)).toMatch(/new auth \S+ for 127\.0\.0\.1 \(1\.0\.0\.127\.in-addr\.arpa\)/);
    } finally {
      await ualpn.stop();
    }
  }, 120_000);

  it('uacme: an address outside the allowed ranges is refused with rejectedIdentifier', async () => {
    const run = await uacme(['-h', HOOK, 'issue', '10.1.2.3']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toMatch(/urn:ietf:params:acme:error:rejectedIdentifier[\s\S]*10\.1\.2\.3/);
  }, 120_000);

  it('lego 4.9 sends an IP address as a "dns" identifier, which the CA refuses with malformed naming RFC 8738', async () => {
    const run = await runLego(ca, join(dir, 'lego'), [...legoDomains([IP]), ...legoHttpSolver(ca)], ['run']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toContain('urn:ietf:params:acme:error:malformed :: "127.0.0.1": an IP address must be requested as an identifier of type "ip" (RFC 8738)');
  }, 120_000);
});
