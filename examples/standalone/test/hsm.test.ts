import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, MAIN, freePort, startServe } from './processes.js';

/*
 * The standalone CA with its issuing key in SoftHSM: created on the token at
 * first start (non-extractable, sign-only), used through PKCS#11 afterwards,
 * never written to a file. Runs the built program like `pnpm start` does:
 * the server starts, answers, and stops cleanly on SIGTERM.
 */
const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];
const modulePath = MODULES.find((p) => existsSync(p));
if (modulePath === undefined) console.warn('standalone HSM tests skipped: install SoftHSM2 (apt-get install softhsm2 opensc)');

describe.runIf(modulePath !== undefined)('standalone CA with the issuing key in SoftHSM', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'certwright-hsm-example-'));
    const tokens = join(dir, 'tokens');
    mkdirSync(tokens);
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    env = {
      ...process.env,
      SOFTHSM2_CONF: join(dir, 'softhsm2.conf'),
      CERTWRIGHT_DATA_DIR: join(dir, 'data'),
      CERTWRIGHT_HSM_MODULE: modulePath!,
      CERTWRIGHT_HSM_TOKEN: 'certwright-test',
      CERTWRIGHT_HSM_KEY_LABEL: 'issuing-ca',
      CERTWRIGHT_HSM_PIN: 'test-user-pin',
    };
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'certwright-test', '--pin', 'test-user-pin', '--so-pin', 'test-so-pin'], { env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A start expected to fail before listening. */
  const start = (extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [MAIN], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
  /** Starts the server, checks readiness (the token key signs a probe), stops it; returns its output. */
  const serveOnce = async (): Promise<string> => {
    const statusPort = await freePort();
    const server = await startServe({ ...env, CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}` }, 'main');
    const ready = await fetch(`http://127.0.0.1:${statusPort}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, checks: { store: 'ok', issuingKey: 'ok' } });
    expect(await server.stop()).toBe(0);
    return server.stdout();
  };

  it('creates the issuing key on the token, signs with it, and keeps no key file', async () => {
    const first = await serveOnce();
    expect(first).toContain('issuing key:         PKCS#11 token "certwright-test", key "issuing-ca" (signed and verified a test message)');
    expect(existsSync(join(dir, 'data', 'intermediate-key.pem'))).toBe(false);
    expect(existsSync(join(dir, 'data', 'intermediate.pem'))).toBe(true);

    // The key is on the token, sensitive and not extractable, with the certificate stored beside it.
    const listed = spawnSync('pkcs11-tool', ['--module', modulePath!, '--token-label', 'certwright-test', '--login', '--pin', 'test-user-pin', '--list-objects'], { encoding: 'utf8', env });
    expect(listed.stdout).toMatch(/Private Key Object[\s\S]*label:\s+issuing-ca/);
    expect(listed.stdout).toMatch(/Certificate Object[\s\S]*label:\s+issuing-ca/);
    expect(listed.stdout).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);
  });

  it('uses the same key after a restart, and the chain verifies', async () => {
    const again = await serveOnce();
    expect(again).not.toContain('created now');
    expect(again).toContain('PKCS#11 token "certwright-test"');
    const pem = readFileSync(join(dir, 'data', 'intermediate.pem'), 'utf8');
    writeFileSync(join(dir, 'inter-only.pem'), pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26));
    const verify = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', join(dir, 'data', 'root.pem'), join(dir, 'inter-only.pem')], { encoding: 'utf8' });
    expect(verify.stdout).toContain(': OK');
  });

  it('fails with a clear error for a wrong PIN, without printing it', () => {
    const bad = start({ CERTWRIGHT_HSM_PIN: 'wrong-pin-1234' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.toLowerCase()).toContain('pin');
    expect(bad.stderr).not.toContain('wrong-pin-1234');
  });

  it('issuer add refuses to make a software key and says the token key cannot be rolled over, leaving no issuer behind', () => {
    const run = spawnSync(process.execPath, [CLI, 'issuer', 'add'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('creates a software key, but the issuing key lives in the PKCS#11 token "certwright-test"; the CLI cannot roll a token key over');
    expect(run.stderr).not.toContain('remove the hsm settings');
    expect(existsSync(join(dir, 'data', 'issuers'))).toBe(false);
  });

  it('refuses an intermediate key file when the key is configured to live in the token', () => {
    writeFileSync(join(dir, 'data', 'intermediate-key.pem'), 'stray');
    const run = start();
    rmSync(join(dir, 'data', 'intermediate-key.pem'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('configured to live in the PKCS#11 token');
  });
});
