/**
 * Alternate certificate chains (RFC 8555 §7.4.2): the CA's issuing CA is
 * cross-signed by a second root, so each certificate is served with its
 * default chain and, at a URL linked with `Link: rel="alternate"`, the
 * chain through the cross certificate. A client that asks for a preferred
 * chain by the name of its top issuer (certbot 2.1 `--preferred-chain`,
 * lego 4.9 `--preferred-chain`, dehydrated 0.7 `PREFERRED_CHAIN`) or by
 * position (uacme 1.7 `-l 1`) saves the alternate chain, which verifies
 * with openssl against the second root and not against the first; without
 * a preference the default chain, which verifies against the first root.
 * (dehydrated 0.7 reads an issuer's CN only when another attribute comes
 * before it, so the second root's subject is O then CN.)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafOf, opensslVerify, pemBlocks } from './certificates.js';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import type { ClientRun } from './processes.js';
import { certbotLive, legoDomains, legoFiles, runCertbot, runLego } from './runners.js';
import { withSystemTrust } from './system-trust.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

describe('preferred chains: certbot, lego, uacme and dehydrated', () => {
  let ca: ClientTestCa;
  let dir: string;
  let server: WebrootServer;
  const webroot = (): string => join(dir, 'webroot');

  /** The saved chain goes through the cross certificate: it verifies against the second root only; the store holds the certificate. */
  const expectAlternateChain = async (certPath: string, chainPath: string, name: string, run: ClientRun): Promise<void> => {
    const context = describeRun(run);
    expect(opensslVerify(ca.alternateRootPath!, chainPath, certPath), context).toMatch(/: OK\s*$/);
    expect(() => opensslVerify(ca.rootPath, chainPath, certPath), context).toThrow(/openssl verify/);
    const leaf = leafOf(certPath);
    expect(leaf.subjectAltName, context).toBe(`DNS:${name}`);
    expect((await ca.certificateRecord(leaf)).state, context).toBe('issued');
  };

  beforeAll(async () => {
    ca = await startClientTestCa('chains', { alternateChain: true });
    dir = tempDir('chains');
    mkdirSync(join(webroot(), '.well-known', 'acme-challenge'), { recursive: true });
    server = await startWebrootServer(webroot(), ca.http01Port);
    for (const client of ['certbot-default', 'certbot', 'lego', 'uacme', 'dehydrated']) await ca.addName(`${client}-chain.${TEST_DOMAIN}`);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const certbotIssue = (name: string, extra: string[]) =>
    runCertbot(ca, join(dir, 'certbot'), ['certonly', '--webroot', '-w', webroot(), '--agree-tos', '--register-unsafely-without-email', ...extra, '-d', name]);

  it('certbot without a preference saves the default chain, which verifies against the first root', async () => {
    const name = `certbot-default-chain.${TEST_DOMAIN}`;
    const run = expectSuccess(await certbotIssue(name, []));
    const live = (file: string): string => certbotLive(join(dir, 'certbot'), name, file);
    await expectIssued(ca, { certPath: live('cert.pem'), chainPath: live('chain.pem'), names: [name], challenge: 'http-01', context: describeRun(run) });
    expect(() => opensslVerify(ca.alternateRootPath!, live('chain.pem'), live('cert.pem')), describeRun(run)).toThrow(/openssl verify/);
  }, 120_000);

  it('certbot --preferred-chain <second root> saves the alternate chain', async () => {
    const name = `certbot-chain.${TEST_DOMAIN}`;
    const run = expectSuccess(await certbotIssue(name, ['--preferred-chain', ca.alternateRootName!]));
    const live = (file: string): string => certbotLive(join(dir, 'certbot'), name, file);
    await expectAlternateChain(live('cert.pem'), live('chain.pem'), name, run);
  }, 120_000);

  it('lego --preferred-chain <second root> saves the alternate chain', async () => {
    const name = `lego-chain.${TEST_DOMAIN}`;
    const legoDir = join(dir, 'lego');
    const run = expectSuccess(await runLego(ca, legoDir, [...legoDomains([name]), '--http', '--http.webroot', webroot()], ['run', '--preferred-chain', ca.alternateRootName!]));
    const files = legoFiles(legoDir, name);
    await expectAlternateChain(files.certPath, files.chainPath, name, run);
  }, 120_000);

  it('uacme -l 1 saves the first alternate chain', async () => {
    const name = `uacme-chain.${TEST_DOMAIN}`;
    const hook = fileURLToPath(new URL('./hooks/uacme-http01.sh', import.meta.url));
    const uacme = (args: string[]) => {
      const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', join(dir, 'uacme'), ...args]);
      return runClient(command, wrapped, { env: { UACME_WEBROOT: webroot() }, timeoutMs: 90_000 });
    };
    expectSuccess(await uacme(['-y', 'new']));
    const run = expectSuccess(await uacme(['-l', '1', '-h', hook, 'issue', name]));
    const certPath = join(dir, 'uacme', name, 'cert.pem');
    expect(pemBlocks(certPath).length, describeRun(run)).toBe(2);
    await expectAlternateChain(certPath, certPath, name, run);
  }, 120_000);

  it('dehydrated PREFERRED_CHAIN=<second root> saves the alternate chain', async () => {
    const name = `dehydrated-chain.${TEST_DOMAIN}`;
    const base = join(dir, 'dehydrated');
    mkdirSync(base);
    const config = join(dir, 'dehydrated.conf');
    const wellKnown = join(webroot(), '.well-known', 'acme-challenge');
    writeFileSync(config, [`CA="${ca.directoryUrl}"`, 'CHALLENGETYPE="http-01"', `BASEDIR="${base}"`, `WELLKNOWN="${wellKnown}"`, `PREFERRED_CHAIN="${ca.alternateRootName!}"`, ''].join('\n'));
    const dehydrated = (args: string[]) => runClient('dehydrated', ['--config', config, ...args], { env: { CURL_CA_BUNDLE: ca.rootPath }, timeoutMs: 90_000 });
    expectSuccess(await dehydrated(['--register', '--accept-terms']));
    const run = expectSuccess(await dehydrated(['-c', '-d', name]));
    await expectAlternateChain(join(base, 'certs', name, 'cert.pem'), join(base, 'certs', name, 'chain.pem'), name, run);
  }, 120_000);
});
