/**
 * Certificates for a CSR the user made (RFC 8555 §7.4 finalize carries it
 * as given): `openssl req` makes a key and a CSR with two subjectAltNames,
 * or one name in the commonName only; certbot 2.1 (`certonly --csr`) and
 * lego 4.9 (`--csr`) order the CSR's names, and the certificate carries exactly those names and the CSR's
 * public key, and verifies with `openssl verify`.
 */
import type { X509Certificate } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, tempDir } from './processes.js';
import { legoFiles, legoHttpSolver, runCertbot, runLego } from './runners.js';

/** A new key (`-newkey` argument, e.g. `rsa:3072` or `ec`) and a PEM CSR for `names` (CN the first), made by openssl; returns the two paths. */
function opensslCsr(dir: string, label: string, names: readonly string[], newKey: string[]): { keyPath: string; csrPath: string } {
  const keyPath = join(dir, `${label}.key`);
  const csrPath = join(dir, `${label}.csr`);
  // One name alone goes in the commonName only, with no subjectAltName: RFC 8555 §7.4 lets a DNS name be in either.
  const san = names.length > 1 ? ['-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`] : [];
  execFileSync('openssl', ['req', '-new', ...newKey, '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${names[0]!}`, ...san], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { keyPath, csrPath };
}

function expectKeyOf(cert: X509Certificate, keyPath: string, context: string): void {
  const expected = createPublicKey(readFileSync(keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
  expect(Buffer.compare(expected, cert.publicKey.export({ type: 'spki', format: 'der' })), context).toBe(0);
}

describe('certbot and lego with a CSR the user made', () => {
  const CERTBOT = [`certbot-csr.${TEST_DOMAIN}`, `www.certbot-csr.${TEST_DOMAIN}`];
  const LEGO = [`lego-csr.${TEST_DOMAIN}`, `www.lego-csr.${TEST_DOMAIN}`];
  const CN_ONLY = [`cn-only.${TEST_DOMAIN}`];
  let ca: ClientTestCa;
  let dir: string;

  beforeAll(async () => {
    ca = await startClientTestCa('csr');
    dir = tempDir('csr');
    for (const name of [...CERTBOT, ...LEGO, ...CN_ONLY]) await ca.addName(name);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('certbot certonly --csr: the CSR names and key, http-01 for each name', async () => {
    const { keyPath, csrPath } = opensslCsr(dir, 'certbot', CERTBOT, ['-newkey', 'rsa:2048']);
    const out = (file: string): string => join(dir, `certbot-${file}`);
    const run = expectSuccess(
      await runCertbot(ca, join(dir, 'certbot'), [
        'certonly', '--standalone', '--http-01-port', String(ca.http01Port), '--http-01-address', '127.0.0.1', '--agree-tos', '--register-unsafely-without-email',
        '--csr', csrPath, '--cert-path', out('cert.pem'), '--chain-path', out('chain.pem'), '--fullchain-path', out('fullchain.pem'),
      ]),
    );
    const leaf = await expectIssued(ca, { certPath: out('cert.pem'), chainPath: out('chain.pem'), names: CERTBOT, challenge: 'http-01', context: describeRun(run) });
    expectKeyOf(leaf, keyPath, describeRun(run));
  }, 120_000);

  /** lego orders the names of an openssl CSR for `names` with a new EC key on `curve`; the certificate carries those names and the CSR's key. */
  async function legoWithCsr(label: string, names: readonly string[], curve: string): Promise<void> {
    const { keyPath, csrPath } = opensslCsr(dir, label, names, ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`]);
    const legoDir = join(dir, label);
    const run = expectSuccess(await runLego(ca, legoDir, ['--csr', csrPath, ...legoHttpSolver(ca)], ['run']));
    const leaf = await expectIssued(ca, { ...legoFiles(legoDir, names[0]!), names, challenge: 'http-01', context: describeRun(run) });
    expectKeyOf(leaf, keyPath, describeRun(run));
  }

  it('lego --csr: the CSR names and key, http-01 for each name', () => legoWithCsr('lego', LEGO, 'P-384'), 120_000);

  it('lego --csr with the name in the commonName only (no subjectAltName): the certificate names it as a SAN', () => legoWithCsr('lego-cn-only', CN_ONLY, 'P-256'), 120_000);
});
