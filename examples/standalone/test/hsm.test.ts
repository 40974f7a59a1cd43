import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueForLoopback, startChallengeResponder, type ChallengeResponder } from './acme-flow.js';
import { cryptoRandom, systemClock } from '@certwright/core';
import type { Pkcs11Signer } from '@certwright/hsm';
import { loadOrCreateCa } from '../src/ca-files.js';
import { loadConfig } from '../src/config.js';
import { openTokenKeys } from '../src/hsm-key.js';
import { MAIN, cli, freePort, startServe } from './processes.js';

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
  let responder: ChallengeResponder;

  beforeAll(async () => {
    responder = await startChallengeResponder();
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
      // ACME issuance for 127.0.0.1 (RFC 8738) against the loopback http-01 responder.
      CERTWRIGHT_HTTP01_PORT: String(responder.port),
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.1/32',
      CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    };
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'certwright-test', '--pin', 'test-user-pin', '--so-pin', 'test-so-pin'], { env, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
  });

  afterAll(async () => {
    await responder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

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

  it('refuses an intermediate key file when the key is configured to live in the token', () => {
    writeFileSync(join(dir, 'data', 'intermediate-key.pem'), 'stray');
    const run = start();
    rmSync(join(dir, 'data', 'intermediate-key.pem'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('configured to live in the PKCS#11 token');
  });

  describe('key rollover with `certwright issuer add`', () => {
    const data = (...parts: string[]): string => join(dir, 'data', ...parts);
    const accountKey = acme.crypto.createPrivateEcdsaKey();
    let statusUrl: string;
    let before: string;
    let oldId: string;
    let newId: string;
    let newLabel: string;
    let p384Id: string;
    let p384Label: string;

    /** Starts the server, runs `during` with an ACME client, stops it (exit code 0); returns the server's output. */
    async function withServer(during: (client: acme.Client) => Promise<void>): Promise<string> {
      const statusPort = await freePort();
      statusUrl = `http://127.0.0.1:${statusPort}`;
      const server = await startServe({ ...env, CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}` });
      try {
        acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
        const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await accountKey, backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });
        await client.createAccount({ termsOfServiceAgreed: true });
        await during(client);
        return server.stdout();
      } finally {
        expect(await server.stop()).toBe(0);
      }
    }

    const certificates = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n?/g)!;

    /** `openssl ocsp` against the running server for the leaf of `pem`; its output, once the response's signature verified against the root. */
    function ocsp(pem: string, name: string): string {
      const [leaf, issuer] = certificates(pem);
      writeFileSync(join(dir, `${name}-leaf.pem`), leaf!);
      writeFileSync(join(dir, `${name}-issuer.pem`), issuer!);
      const r = spawnSync('openssl', ['ocsp', '-issuer', join(dir, `${name}-issuer.pem`), '-cert', join(dir, `${name}-leaf.pem`), '-url', `${statusUrl}/ocsp/`, '-CAfile', data('root.pem')], { encoding: 'utf8' });
      expect(r.stderr).toContain('Response verify OK');
      return r.stdout;
    }

    /** The objects on the token as pkcs11-tool lists them, one text block each. */
    function tokenObjects(): string[] {
      const listed = spawnSync('pkcs11-tool', ['--module', modulePath!, '--token-label', 'certwright-test', '--login', '--pin', 'test-user-pin', '--list-objects'], { encoding: 'utf8', env });
      expect(listed.status, listed.stderr).toBe(0);
      return listed.stdout.split(/\n(?=\S)/);
    }
    const objectsLabelled = (label: string): string[] => tokenObjects().filter((block) => new RegExp(`label:\\s+${label}\\n`).test(`${block}\n`));

    it('generates the new key on the token, stores its certificate there and in issuers/<id>/, and retires the old issuer', async () => {
      await withServer(async (client) => {
        before = await issueForLoopback(client, responder);
      });
      oldId = /issuing CA:\s+([0-9a-f]+) \(P-256, active\)/.exec(cli(['status'], env).stdout)![1]!;

      const added = cli(['issuer', 'add'], env);
      expect(added.status, added.stderr).toBe(0);
      newId = /Added issuing CA ([0-9a-f]+) \(P-256/.exec(added.stdout)![1]!;
      newLabel = /with the label "(issuing-ca-P-256-\d{14})"/.exec(added.stdout)![1]!;
      expect(added.stdout).toContain(`Retired issuing CA ${oldId}`);

      // In the issuer's folder: the certificate, the key's label, the status; no private key file.
      expect(readdirSync(data('issuers', newId)).sort()).toEqual(['cert.pem', 'hsm-key', 'status']);
      expect(readFileSync(data('issuers', newId, 'hsm-key'), 'utf8')).toBe(`${newLabel}\n`);
      expect(readFileSync(data('issuers', newId, 'status'), 'utf8')).toBe('active\n');
      expect(readFileSync(data('issuers', oldId, 'status'), 'utf8')).toBe('retired\n');
      expect(readdirSync(data('issuers')).filter((name) => name.startsWith('.'))).toEqual([]);

      // On the token: a sensitive, never extractable, sign-only key pair and the certificate, all with one CKA_ID.
      const objects = objectsLabelled(newLabel);
      const privateKey = objects.find((block) => block.startsWith('Private Key Object'))!;
      expect(privateKey).toMatch(/Usage:\s+sign\n/);
      expect(privateKey).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);
      const ids = objects.map((block) => /ID:\s+([0-9a-f]+)/.exec(block)![1]);
      expect(objects.map((block) => block.split(';')[0]!.split('\n')[0]).sort()).toEqual(['Certificate Object', 'Private Key Object', 'Public Key Object']);
      expect(new Set(ids).size).toBe(1);
      const stored = spawnSync('pkcs11-tool', ['--module', modulePath!, '--token-label', 'certwright-test', '--read-object', '--type', 'cert', '--label', newLabel], { env });
      const onDisk = new X509Certificate(certificates(readFileSync(data('issuers', newId, 'cert.pem'), 'utf8'))[0]!);
      expect(new X509Certificate(stored.stdout).fingerprint256).toBe(onDisk.fingerprint256);
    });

    it('after a restart issues from the new token key, chaining to the root, while the retired token key still answers OCSP', async () => {
      let after = '';
      const stdout = await withServer(async (client) => {
        after = await issueForLoopback(client, responder);
        // The retired issuer's key on the token signs OCSP for what it issued; openssl checks the response against the root.
        expect(ocsp(before, 'old')).toMatch(/old-leaf\.pem: good/);
        expect(ocsp(after, 'new')).toMatch(/new-leaf\.pem: good/);
        const crl = await fetch(`${statusUrl}/crl/${oldId}/0.crl`);
        expect(crl.status).toBe(200);
      });
      expect(stdout).toContain(`issuing key:         PKCS#11 token "certwright-test", key "${newLabel}" (signed and verified a test message)`);
      expect(stdout).toMatch(new RegExp(`issuing CA:\\s+${oldId} \\(P-256, retired\\)`));

      const [leaf, issuer] = certificates(after);
      expect(issuer).toBe(certificates(readFileSync(data('issuers', newId, 'cert.pem'), 'utf8'))[0]);
      writeFileSync(join(dir, 'after-leaf.pem'), leaf!);
      writeFileSync(join(dir, 'after-issuer.pem'), issuer!);
      const verify = spawnSync('openssl', ['verify', '-x509_strict', '-CAfile', data('root.pem'), '-untrusted', join(dir, 'after-issuer.pem'), join(dir, 'after-leaf.pem')], { encoding: 'utf8' });
      expect(verify.stdout + verify.stderr).toContain('after-leaf.pem: OK');
    });

    it('a failure after the key generation adds no issuer and names the key left on the token', (ctx) => {
      const issuersDir = data('issuers');
      const listing = readdirSync(issuersDir).sort();
      // Make issuers/ unwritable: a mode for an ordinary user, the immutable flag for root (whom modes do not stop).
      chmodSync(issuersDir, 0o500);
      const immutable = spawnSync('chattr', ['+i', issuersDir]).status === 0;
      let run: ReturnType<typeof cli>;
      try {
        const probe = spawnSync('mkdir', [join(issuersDir, '.probe')]);
        if (probe.status === 0) {
          rmSync(join(issuersDir, '.probe'), { recursive: true });
          console.warn('skipped: issuers/ cannot be made unwritable here (root on a filesystem without chattr +i)');
          ctx.skip();
        }
        run = cli(['issuer', 'add', '--key-type', 'P-384'], env);
      } finally {
        if (immutable) spawnSync('chattr', ['-i', issuersDir]);
        chmodSync(issuersDir, 0o700);
      }
      expect(run.status).toBe(1);
      const left = /the new key pair "(issuing-ca-P-384-\d{14})" \(and possibly its certificate\) is left unused on PKCS#11 token "certwright-test"/.exec(run.stderr);
      expect(left, run.stderr).not.toBeNull();
      expect(run.stderr).toContain('no issuer was added');
      expect(readdirSync(issuersDir).sort()).toEqual(listing);
      expect(readFileSync(data('issuers', newId, 'status'), 'utf8')).toBe('active\n');

      // The key is there, and the commands the message gives delete it.
      expect(objectsLabelled(left![1]!).length).toBeGreaterThan(0);
      for (const type of ['privkey', 'pubkey', 'cert']) {
        spawnSync('pkcs11-tool', ['--module', modulePath!, '--token-label', 'certwright-test', '--login', '--pin', 'test-user-pin', '--delete-object', '--type', type, '--label', left![1]!], { env });
      }
      expect(objectsLabelled(left![1]!)).toEqual([]);
    });

    it('refuses to generate a key under a label the token already holds', async () => {
      process.env['SOFTHSM2_CONF'] = env['SOFTHSM2_CONF'];
      process.env['CERTWRIGHT_HSM_PIN'] = env['CERTWRIGHT_HSM_PIN'];
      const keys = openTokenKeys({ modulePath: modulePath!, tokenLabel: 'certwright-test', keyLabel: 'issuing-ca', pinEnv: 'CERTWRIGHT_HSM_PIN' });
      try {
        await expect(keys.generateKey(newLabel, 'P-256')).rejects.toThrow(`PKCS#11 token "certwright-test" already holds a key labelled "${newLabel}"`);
      } finally {
        await keys.close();
      }
      expect(objectsLabelled(newLabel).filter((block) => block.startsWith('Private Key Object'))).toHaveLength(1);
    });

    it('adds an issuer of another key type next to the active one, and retires a token-key issuer', async () => {
      const p384 = cli(['issuer', 'add', '--key-type', 'P-384'], env);
      expect(p384.status, p384.stderr).toBe(0);
      expect(p384.stdout).not.toContain('Retired');
      p384Id = /Added issuing CA ([0-9a-f]+) \(P-384/.exec(p384.stdout)![1]!;
      p384Label = /with the label "(issuing-ca-P-384-\d{14})"/.exec(p384.stdout)![1]!;
      const status = cli(['status'], env).stdout;
      expect(status).toMatch(new RegExp(`issuing CA:\\s+${newId} \\(P-256, active\\)`));
      expect(status).toMatch(new RegExp(`issuing CA:\\s+${p384Id} \\(P-384, active\\).*\\n\\s+issuing key: PKCS#11 token "certwright-test", key "${p384Label}"`));

      const retired = cli(['issuer', 'retire', newId], env);
      expect(retired.status, retired.stderr).toBe(0);
      expect(readFileSync(data('issuers', newId, 'status'), 'utf8')).toBe('retired\n');
      const stdout = await withServer(async () => {
        // The retired token-key issuer still signs OCSP after its retirement.
        expect(ocsp(before, 'old-again')).toMatch(/old-again-leaf\.pem: good/);
      });
      expect(stdout).toMatch(new RegExp(`issuing CA:\\s+${newId} \\(P-256, retired\\)`));
      expect(stdout).toMatch(new RegExp(`issuing CA:\\s+${p384Id} \\(P-384, active\\)`));
    });

    it('opens one PKCS#11 session for each retired token-key issuer and the full pool for active ones', async () => {
      process.env['SOFTHSM2_CONF'] = env['SOFTHSM2_CONF'];
      process.env['CERTWRIGHT_HSM_PIN'] = env['CERTWRIGHT_HSM_PIN'];
      const ca = await loadOrCreateCa(loadConfig(env, dir), systemClock(), cryptoRandom(), 'load');
      try {
        const sessions = ca.issuers.map((issuer) => [issuer.id, issuer.status, (issuer.signer as Pkcs11Signer).diagnostics().openSessions]);
        // The first issuer (retired by the first add), the P-256 one retired above, and the active P-384 one.
        expect(sessions).toEqual(
          expect.arrayContaining([
            [oldId, 'retired', 1],
            [newId, 'retired', 1],
            [p384Id, 'active', 4],
          ]),
        );
        expect(sessions).toHaveLength(3);
      } finally {
        await ca.close();
      }
    });

    it('refuses to start when an issuer names a token key its certificate does not certify', () => {
      const keyFile = data('issuers', p384Id, 'hsm-key');
      writeFileSync(keyFile, 'issuing-ca\n');
      const run = start();
      writeFileSync(keyFile, `${p384Label}\n`);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`${data('issuers', p384Id)}: its issuing key "issuing-ca" (hsm-key) on PKCS#11 token "certwright-test" is not the key its cert.pem certifies`);
    });

    it('refuses to start when a token key an issuer names is gone, naming the folder and the label', () => {
      for (const type of ['privkey', 'pubkey']) {
        const deleted = spawnSync('pkcs11-tool', ['--module', modulePath!, '--token-label', 'certwright-test', '--login', '--pin', 'test-user-pin', '--delete-object', '--type', type, '--label', newLabel], { env, encoding: 'utf8' });
        expect(deleted.status, deleted.stderr).toBe(0);
      }
      const run = start();
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`${data('issuers', newId)}: its issuing key "${newLabel}" (hsm-key) is not on PKCS#11 token "certwright-test"`);
    });
  });
});
