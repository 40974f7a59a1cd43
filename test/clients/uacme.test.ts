/**
 * uacme 1.7.4 against a certwright CA with real http-01 validation: a
 * hook script writes the key authorization into a webroot that a small
 * HTTP server serves on the CA's http-01 port. uacme has no CA-bundle
 * option (libcurl-gnutls reads the system bundle), so it runs with the
 * test root bind-mounted over the system bundle in a private mount
 * namespace (see system-trust.ts); without it, it refuses the CA.
 */
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued, expectRevoked } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { withSystemTrust } from './system-trust.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

const NAMES = [`uacme.${TEST_DOMAIN}`, `www.uacme.${TEST_DOMAIN}`];
const HOOK = fileURLToPath(new URL('./hooks/uacme-http01.sh', import.meta.url));

describe('uacme against a certwright CA (real http-01 validation through a hook)', () => {
  let ca: ClientTestCa;
  let dir: string;
  let webroot: string;
  let server: WebrootServer;
  let issued: X509Certificate | undefined;

  const conf = (): string => join(dir, 'conf');
  const uacmeArgs = (args: string[], confdir = conf()): string[] => ['-v', '-a', ca.directoryUrl, '-c', confdir, ...args];
  const uacme = (args: string[]) => {
    const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', uacmeArgs(args));
    return runClient(command, wrapped, { env: { UACME_WEBROOT: webroot }, timeoutMs: 90_000 });
  };

  beforeAll(async () => {
    ca = await startClientTestCa('uacme');
    dir = tempDir('uacme');
    webroot = join(dir, 'webroot');
    mkdirSync(webroot);
    server = await startWebrootServer(webroot, ca.http01Port);
    for (const name of NAMES) await ca.addName(name);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the CA while its root is not in the system trust store (TLS is really verified)', async () => {
    // uacme retries a failed GET three times, 5 s apart: the first failure is enough.
    const refused = /GET https:\S+ failed: SSL peer certificate or SSH remote key was not OK/;
    const run = await runClient('uacme', uacmeArgs(['-y', 'new'], join(dir, 'conf-untrusted')), { timeoutMs: 30_000, stopWhen: refused });
    expect(run.stderr, describeRun(run)).toMatch(refused);
    expect(run.code === 0 && !run.stoppedEarly, describeRun(run)).toBe(false);
  }, 60_000);

  it('creates an account and issues a two-name certificate, the hook answering http-01', async () => {
    expectSuccess(await uacme(['-y', 'new']));
    const run = expectSuccess(await uacme(['-h', HOOK, 'issue', ...NAMES]));
    const certPath = join(conf(), NAMES[0]!, 'cert.pem');
    issued = await expectIssued(ca, { certPath, chainPath: certPath, names: NAMES, challenge: 'http-01', context: describeRun(run) });
    const served = server.requests.filter((r) => r.path.startsWith('/.well-known/acme-challenge/') && r.status === 200);
    expect(served.length, describeRun(run)).toBeGreaterThanOrEqual(NAMES.length);
  }, 120_000);

  it('revokes with the certificate key for keyCompromise', async () => {
    const certPath = join(conf(), NAMES[0]!, 'cert.pem');
    const keyPath = join(conf(), 'private', NAMES[0]!, 'key.pem');
    const run = expectSuccess(await uacme(['-r', '1', 'revoke', certPath, keyPath]));
    await expectRevoked(ca, issued!, 1, describeRun(run));
  }, 120_000);
});
