/**
 * Leaf key types through real clients (RFC 8555 §7.4 finalize with the
 * client's CSR): RSA 2048, 3072 and 4096 and ECDSA P-256 and P-384, each
 * certificate carrying exactly the key the client generated and verifying
 * with `openssl verify` against the CA's root. certbot 2.1 chooses with
 * `--key-type rsa --rsa-key-size N` / `--key-type ecdsa --elliptic-curve`;
 * lego 4.9 with `--key-type` (rsa2048, rsa4096, ec256, ec384: it has no
 * rsa3072); uacme 1.7 with `-t RSA|EC -b BITS`. A curve outside the CA's
 * key policy (certbot secp521r1) is refused with `badCSR`.
 */
import type { X509Certificate } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { certbotLive, legoDomains, legoFiles, legoHttpSolver, runCertbot, runLego } from './runners.js';
import { withSystemTrust } from './system-trust.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

/** What the leaf's public key is: `rsa-3072`, `ec-secp384r1`, … */
function keyKind(cert: X509Certificate): string {
  const details = cert.publicKey.asymmetricKeyDetails ?? {};
  return cert.publicKey.asymmetricKeyType === 'rsa' ? `rsa-${String(details.modulusLength)}` : `${String(cert.publicKey.asymmetricKeyType)}-${String(details.namedCurve)}`;
}

/** The leaf's key is the one in the client's private key file. */
function expectKeyMatches(cert: X509Certificate, keyPath: string, context: string): void {
  const publicOfPrivate = createPublicKey(readFileSync(keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
  expect(Buffer.compare(publicOfPrivate, cert.publicKey.export({ type: 'spki', format: 'der' })), `${keyPath} is not the certificate's key\n${context}`).toBe(0);
}

describe('certbot leaf key types', () => {
  let ca: ClientTestCa;
  let dir: string;
  const cases: [string, string[], string][] = [
    ['rsa-3072', ['--key-type', 'rsa', '--rsa-key-size', '3072'], 'rsa-3072'],
    ['rsa-4096', ['--key-type', 'rsa', '--rsa-key-size', '4096'], 'rsa-4096'],
    ['ec-384', ['--key-type', 'ecdsa', '--elliptic-curve', 'secp384r1'], 'ec-secp384r1'],
  ];

  beforeAll(async () => {
    ca = await startClientTestCa('certbot-keys');
    dir = tempDir('certbot-keys');
    for (const [label] of cases) await ca.addName(`certbot-${label}.${TEST_DOMAIN}`);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('obtains a certificate for a %s key that openssl verifies', async (label, keyArgs, expected) => {
    const name = `certbot-${label}.${TEST_DOMAIN}`;
    const run = expectSuccess(
      await runCertbot(ca, dir, ['certonly', '--standalone', '--http-01-port', String(ca.http01Port), '--http-01-address', '127.0.0.1', '--agree-tos', '--register-unsafely-without-email', ...keyArgs, '-d', name]),
    );
    const leaf = await expectIssued(ca, { certPath: certbotLive(dir, name, 'cert.pem'), chainPath: certbotLive(dir, name, 'chain.pem'), names: [name], challenge: 'http-01', context: describeRun(run) });
    expect(keyKind(leaf), describeRun(run)).toBe(expected);
    expectKeyMatches(leaf, certbotLive(dir, name, 'privkey.pem'), describeRun(run));
  }, 120_000);

  it('gets badCSR for a P-521 key, which the key policy does not allow', async () => {
    const name = `certbot-ec-521.${TEST_DOMAIN}`;
    await ca.addName(name);
    const run = await runCertbot(ca, dir, ['certonly', '--standalone', '--http-01-port', String(ca.http01Port), '--http-01-address', '127.0.0.1', '--key-type', 'ecdsa', '--elliptic-curve', 'secp521r1', '-d', name]);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(readFileSync(join(dir, 'logs', 'letsencrypt.log'), 'utf8'), describeRun(run)).toMatch(/Error: urn:ietf:params:acme:error:badCSR :: .* :: .*P-521/);
  }, 120_000);
});

describe('lego leaf key types', () => {
  let ca: ClientTestCa;
  let dir: string;
  const cases: [string, string][] = [
    ['rsa2048', 'rsa-2048'],
    ['rsa4096', 'rsa-4096'],
    ['ec384', 'ec-secp384r1'],
  ];

  beforeAll(async () => {
    ca = await startClientTestCa('lego-keys');
    dir = tempDir('lego-keys');
    for (const [keyType] of cases) await ca.addName(`lego-${keyType}.${TEST_DOMAIN}`);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('obtains a certificate for a %s key that openssl verifies', async (keyType, expected) => {
    const name = `lego-${keyType}.${TEST_DOMAIN}`;
    const run = expectSuccess(await runLego(ca, dir, [...legoDomains([name]), ...legoHttpSolver(ca), '--key-type', keyType], ['run']));
    const files = legoFiles(dir, name);
    const leaf = await expectIssued(ca, { ...files, names: [name], challenge: 'http-01', context: describeRun(run) });
    expect(keyKind(leaf), describeRun(run)).toBe(expected);
    expectKeyMatches(leaf, files.keyPath, describeRun(run));
  }, 120_000);
});

describe('uacme leaf key types', () => {
  const HOOK = fileURLToPath(new URL('./hooks/uacme-http01.sh', import.meta.url));
  let ca: ClientTestCa;
  let dir: string;
  let server: WebrootServer;
  const cases: [string, string[], string][] = [
    ['rsa-3072', ['-t', 'RSA', '-b', '3072'], 'rsa-3072'],
    ['ec-384', ['-t', 'EC', '-b', '384'], 'ec-secp384r1'],
  ];
  const uacme = (args: string[]) => {
    const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', join(dir, 'conf'), ...args]);
    return runClient(command, wrapped, { env: { UACME_WEBROOT: join(dir, 'webroot') }, timeoutMs: 90_000 });
  };

  beforeAll(async () => {
    ca = await startClientTestCa('uacme-keys');
    dir = tempDir('uacme-keys');
    mkdirSync(join(dir, 'webroot'));
    server = await startWebrootServer(join(dir, 'webroot'), ca.http01Port);
    for (const [label] of cases) await ca.addName(`uacme-${label}.${TEST_DOMAIN}`);
    expectSuccess(await uacme(['-y', 'new']));
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('obtains a certificate for a %s key that openssl verifies', async (label, keyArgs, expected) => {
    const name = `uacme-${label}.${TEST_DOMAIN}`;
    const run = expectSuccess(await uacme([...keyArgs, '-h', HOOK, 'issue', name]));
    const certPath = join(dir, 'conf', name, 'cert.pem');
    const leaf = await expectIssued(ca, { certPath, chainPath: certPath, names: [name], challenge: 'http-01', context: describeRun(run) });
    expect(keyKind(leaf), describeRun(run)).toBe(expected);
    expectKeyMatches(leaf, join(dir, 'conf', 'private', name, 'key.pem'), describeRun(run));
  }, 120_000);
});
