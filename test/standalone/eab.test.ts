/**
 * External Account Binding (RFC 8555 §7.3.4) against the real standalone CA
 * started with CERTWRIGHT_EAB_REQUIRED=true, keys made while it runs with
 * `certwright eab create`: certbot 2.1 (`--eab-kid`/`--eab-hmac-key`),
 * lego 4.9 (`--eab --kid --hmac`), uacme 1.7 (`-e KID:KEY`) and dehydrated
 * 0.7 (`EAB_KID`/`EAB_HMAC_KEY`) register with their key and obtain a
 * certificate that passes the relying-party checks (openssl verify, OCSP,
 * CRL). Refusals, each with its problem type: a binding MACed with another
 * key → `unauthorized`; a key id the CA never issued → `unauthorized`; a
 * key already bound to an account → `unauthorized`. Without a binding,
 * certbot, lego and uacme stop on their own (they read
 * `meta.externalAccountRequired`) and send nothing; the server's
 * `externalAccountRequired` refusal is shown with acme-client in
 * examples/standalone/test/cli.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawArgumentSafe } from '../../examples/standalone/src/argument-safe.js';
import { cli } from '../../examples/standalone/test/processes.js';
import { describeRun, expectSuccess, runClient } from '../clients/processes.js';
import { certbotLive, legoDomains, legoFiles, runCertbot, runLego } from '../clients/runners.js';
import { withSystemTrust } from '../clients/system-trust.js';
import { startWebrootServer } from '../clients/webroot-server.js';
import type { WebrootServer } from '../clients/webroot-server.js';
import { TEST_DOMAIN, expectValidCertificate, startStandaloneCa } from './standalone-ca.js';
import type { StandaloneCa } from './standalone-ca.js';

interface EabKey {
  readonly keyId: string;
  readonly hmacKey: string;
}

/** Some other 256-bit key, base64url: a binding MACed with it must be refused. */
/** A random HMAC key that is not the CA's; never starting with "-", which a client's option parser would read as an option. */
const wrongHmacKey = (): string => drawArgumentSafe(() => randomBytes(32).toString('base64url'));

describe('External Account Binding against certwright serve (CERTWRIGHT_EAB_REQUIRED=true)', () => {
  let ca: StandaloneCa;
  let server: WebrootServer;
  const webroot = (): string => join(ca.workDir, 'webroot');

  /** `certwright eab create` against the running server's data directory; the printed key id and HMAC key. */
  const createEabKey = (label: string): EabKey => {
    const run = cli(['eab', 'create', '--label', label], { CERTWRIGHT_DATA_DIR: ca.dataDir });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    return { keyId: /key id:\s+(\S+)/.exec(run.stdout)![1]!, hmacKey: /HMAC key:\s+(\S+)/.exec(run.stdout)![1]! };
  };

  beforeAll(async () => {
    ca = await startStandaloneCa('eab', { CERTWRIGHT_EAB_REQUIRED: 'true' });
    mkdirSync(join(webroot(), '.well-known', 'acme-challenge'), { recursive: true });
    server = await startWebrootServer(webroot(), ca.http01Port);
    for (const client of ['certbot', 'lego', 'uacme', 'dehydrated']) await ca.addName(`${client}-eab.standalone.${TEST_DOMAIN}`);
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
  });

  it('certbot: no binding and a wrong HMAC key are refused; its EAB key registers and obtains a certificate', async () => {
    const key = createEabKey('certbot');
    const name = `certbot-eab.standalone.${TEST_DOMAIN}`;
    const dir = join(ca.workDir, 'certbot');
    const register = (eab: string[]) => runCertbot(ca, dir, ['register', '--agree-tos', '--register-unsafely-without-email', ...eab]);

    // certbot reads meta.externalAccountRequired from the directory and stops before sending anything.
    const none = await register([]);
    expect(none.code, describeRun(none)).not.toBe(0);
    expect(none.stdout + none.stderr, describeRun(none)).toMatch(/requires external account binding/i);

    // certbot prints the problem's detail; its log holds the whole problem document.
    const problemLogged = (): string => readFileSync(join(dir, 'logs', 'letsencrypt.log'), 'utf8');
    const wrong = await register([`--eab-kid=${key.keyId}`, `--eab-hmac-key=${wrongHmacKey()}`]);
    expect(wrong.code, describeRun(wrong)).not.toBe(0);
    expect(wrong.stdout + wrong.stderr, describeRun(wrong)).toMatch(/MAC does not verify/);
    expect(problemLogged(), describeRun(wrong)).toMatch(/Error: urn:ietf:params:acme:error:unauthorized :: .* :: External account binding JWS MAC does not verify/);

    expectSuccess(await register([`--eab-kid=${key.keyId}`, `--eab-hmac-key=${key.hmacKey}`]));
    const run = expectSuccess(await runCertbot(ca, dir, ['certonly', '--webroot', '-w', webroot(), '-d', name]));
    await expectValidCertificate(ca, { certPath: certbotLive(dir, name, 'cert.pem'), chainPath: certbotLive(dir, name, 'chain.pem'), names: [name], context: describeRun(run) });

    // The key is now bound: a second account with it is refused.
    const again = await runCertbot(ca, join(ca.workDir, 'certbot-again'), ['register', '--agree-tos', '--register-unsafely-without-email', `--eab-kid=${key.keyId}`, `--eab-hmac-key=${key.hmacKey}`]);
    expect(again.code, describeRun(again)).not.toBe(0);
    expect(again.stdout + again.stderr, describeRun(again)).toMatch(/already bound to an account/);
    expect(readFileSync(join(ca.workDir, 'certbot-again', 'logs', 'letsencrypt.log'), 'utf8'), describeRun(again)).toMatch(/Error: urn:ietf:params:acme:error:unauthorized :: .* :: The external account key "[^"]+" is already bound/);
  }, 120_000);

  it('lego: no binding stopped by lego itself, wrong HMAC or unknown key id → unauthorized; its EAB key obtains a certificate', async () => {
    const key = createEabKey('lego');
    const name = `lego-eab.standalone.${TEST_DOMAIN}`;
    const lego = (dir: string, eab: string[]) => runLego(ca, join(ca.workDir, dir), [...legoDomains([name]), '--http', '--http.webroot', webroot(), ...eab], ['run']);

    // lego, like certbot, reads meta.externalAccountRequired and sends nothing without a binding.
    const none = await lego('lego-none', []);
    expect(none.code, describeRun(none)).not.toBe(0);
    expect(none.stdout + none.stderr, describeRun(none)).toContain('Server requires External Account Binding');

    const wrong = await lego('lego-wrong', ['--eab', '--kid', key.keyId, '--hmac', wrongHmacKey()]);
    expect(wrong.code, describeRun(wrong)).not.toBe(0);
    expect(wrong.stdout + wrong.stderr, describeRun(wrong)).toMatch(/urn:ietf:params:acme:error:unauthorized.*MAC does not verify/);

    const unknown = await lego('lego-unknown', ['--eab', '--kid', 'no-such-key-id', '--hmac', key.hmacKey]);
    expect(unknown.code, describeRun(unknown)).not.toBe(0);
    expect(unknown.stdout + unknown.stderr, describeRun(unknown)).toMatch(/urn:ietf:params:acme:error:unauthorized.*not known/);

    const run = expectSuccess(await lego('lego', ['--eab', '--kid', key.keyId, '--hmac', key.hmacKey]));
    await expectValidCertificate(ca, { ...legoFiles(join(ca.workDir, 'lego'), name), names: [name], context: describeRun(run) });
  }, 120_000);

  it('uacme -e KID:KEY registers with the binding (a wrong key refused as unauthorized) and obtains a certificate', async () => {
    const key = createEabKey('uacme');
    const name = `uacme-eab.standalone.${TEST_DOMAIN}`;
    const hook = fileURLToPath(new URL('../clients/hooks/uacme-http01.sh', import.meta.url));
    const conf = join(ca.workDir, 'uacme');
    const uacme = (args: string[]) => {
      const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', conf, ...args]);
      return runClient(command, wrapped, { env: { UACME_WEBROOT: webroot() }, timeoutMs: 90_000 });
    };
    // uacme, like certbot and lego, reads meta.externalAccountRequired and sends nothing without a binding.
    const none = await uacme(['-y', 'new']);
    expect(none.code, describeRun(none)).not.toBe(0);
    expect(none.stdout + none.stderr, describeRun(none)).toContain('requires external credentials');
    const wrong = await uacme(['-e', `${key.keyId}:${wrongHmacKey()}`, '-y', 'new']);
    expect(wrong.code, describeRun(wrong)).not.toBe(0);
    expect(wrong.stdout + wrong.stderr, describeRun(wrong)).toContain('urn:ietf:params:acme:error:unauthorized');

    expectSuccess(await uacme(['-e', `${key.keyId}:${key.hmacKey}`, '-y', 'new']));
    const run = expectSuccess(await uacme(['-h', hook, 'issue', name]));
    const certPath = join(conf, name, 'cert.pem');
    await expectValidCertificate(ca, { certPath, chainPath: certPath, names: [name], context: describeRun(run) });
  }, 120_000);

  it('dehydrated with EAB_KID and EAB_HMAC_KEY registers and obtains a certificate', async () => {
    const key = createEabKey('dehydrated');
    const name = `dehydrated-eab.standalone.${TEST_DOMAIN}`;
    const base = join(ca.workDir, 'dehydrated');
    mkdirSync(base);
    const config = join(base, 'config');
    const wellKnown = join(webroot(), '.well-known', 'acme-challenge');
    writeFileSync(config, [`CA="${ca.directoryUrl}"`, 'CHALLENGETYPE="http-01"', `BASEDIR="${base}"`, `WELLKNOWN="${wellKnown}"`, `EAB_KID="${key.keyId}"`, `EAB_HMAC_KEY="${key.hmacKey}"`, ''].join('\n'));
    const dehydrated = (args: string[]) => runClient('dehydrated', ['--config', config, ...args], { env: { CURL_CA_BUNDLE: ca.rootPath }, timeoutMs: 90_000 });
    expectSuccess(await dehydrated(['--register', '--accept-terms']));
    const run = expectSuccess(await dehydrated(['-c', '-d', name]));
    await expectValidCertificate(ca, { certPath: join(base, 'certs', name, 'cert.pem'), chainPath: join(base, 'certs', name, 'chain.pem'), names: [name], context: describeRun(run) });

    const status = cli(['status'], { CERTWRIGHT_DATA_DIR: ca.dataDir });
    expect(status.stdout, status.stderr).toContain('EAB keys:    4 (4 bound to an account)');
  }, 120_000);
});
