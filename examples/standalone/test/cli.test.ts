import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, freePort, startServe } from './processes.js';

/* The `certwright` CLI (dist/cli.js, the package's `bin`), command by command. */

const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'certwright-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('certwright usage', () => {
  it.each([
    [[], 'no command given'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['revoke'], 'revoke <serial> takes 1 argument, got 0'],
    [['revoke', 'ab', '--why', 'x'], 'unknown option --why (known: --reason)'],
    [['revoke', 'ab', '--reason'], 'option --reason needs a value'],
    [['eab'], 'eab needs a subcommand: eab create'],
    [['eab', 'create', 'extra'], 'eab create takes no arguments, got 1'],
    [['issuer'], 'issuer needs a subcommand: issuer add [--key-type TYPE] | issuer retire <id>'],
    [['issuer', 'add', '--key-type', 'DSA'], '--key-type must be one of P-256, P-384, RSA-2048, RSA-3072, RSA-4096'],
    [['issuer', 'retire'], 'issuer retire <id> takes 1 argument, got 0'],
    [['crl'], 'crl needs a subcommand: crl publish'],
    [['crl', 'publish', 'now'], 'crl publish takes no arguments, got 1'],
    [['init', 'now'], 'init takes no arguments, got 1'],
  ])('%j exits 2 with the problem and the help', (args, message) => {
    const run = cli(args, { CERTWRIGHT_DATA_DIR: freshDir() });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`certwright: ${message}`);
    expect(run.stderr).toContain('usage: certwright <command> [options]');
    expect(run.stdout).toBe('');
  });

  it('help prints the commands and exits 0', () => {
    const run = cli(['help'], {});
    expect(run.status).toBe(0);
    for (const command of ['init', 'serve', 'migrate', 'eab create', 'revoke <serial>', 'status', 'issuer add', 'issuer retire <id>', 'crl publish']) expect(run.stdout).toContain(command);
  });
});

describe('certwright init, migrate, status', () => {
  it('init creates the CA once and refuses a second time', () => {
    const env = { CERTWRIGHT_DATA_DIR: join(freshDir(), 'ca') };
    const first = cli(['init'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Created a new CA in ${env.CERTWRIGHT_DATA_DIR}`);
    expect(first.stdout).toMatch(/root SHA-256:\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const root = readFileSync(join(env.CERTWRIGHT_DATA_DIR, 'root.pem'), 'utf8');
    const second = cli(['init'], env);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('already holds a CA');
    expect(second.stderr).toContain('never replaces one');
    expect(readFileSync(join(env.CERTWRIGHT_DATA_DIR, 'root.pem'), 'utf8')).toBe(root);
    const status = cli(['status'], env);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain('certificates: 0 issued, 0 of them revoked');
    expect(status.stdout).toMatch(/issuing CA:\s+[0-9a-f]+ \(P-256, active\), valid .* \(109[0-9] days left\)/);
  });

  it('a data directory holding only issuers/ (a half-restored backup) gets no new CA from init, serve or status', () => {
    const source = { CERTWRIGHT_DATA_DIR: join(freshDir(), 'ca') };
    expect(cli(['init'], source).status).toBe(0);
    const added = cli(['issuer', 'add'], source);
    expect(added.status, added.stderr).toBe(0);
    const restored = join(freshDir(), 'ca');
    cpSync(join(source.CERTWRIGHT_DATA_DIR, 'issuers'), join(restored, 'issuers'), { recursive: true });
    const env = { CERTWRIGHT_DATA_DIR: restored };
    const init = cli(['init'], env);
    expect(init.status).toBe(1);
    expect(init.stderr).toContain('already holds a CA');
    for (const command of [['serve'], ['status']]) {
      const run = cli(command, env);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`the data directory ${restored} holds only part of a CA (issuers/); restore the missing files from a backup`);
    }
    expect(existsSync(join(restored, 'root.pem'))).toBe(false);
  });

  it('a database restored without its data directory gets no new CA: init and serve name the records it holds', async () => {
    const source = { CERTWRIGHT_DATA_DIR: join(freshDir(), 'ca'), CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}` };
    const server = await startServe(source); // issues its own TLS certificate: one certificate record
    expect(await server.stop()).toBe(0);
    const restored = join(freshDir(), 'ca');
    mkdirSync(restored);
    cpSync(join(source.CERTWRIGHT_DATA_DIR, 'certwright.sqlite'), join(restored, 'certwright.sqlite'));
    const env = { ...source, CERTWRIGHT_DATA_DIR: restored };
    for (const command of [['init'], ['serve']]) {
      const run = cli(command, env);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`the database sqlite:${join(restored, 'certwright.sqlite')} already holds 1 certificate records of a CA whose files are not in ${restored}; restore the data directory`);
    }
    expect(readdirSync(restored)).toEqual(['certwright.sqlite']);
  });

  it('serve and init create no CA while the database cannot be reached', () => {
    const dir = join(freshDir(), 'ca');
    const env = { CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_DATABASE_URL: 'postgres://ca:secret@127.0.0.1:1/certwright' };
    for (const command of [['serve'], ['init']]) {
      const run = cli(command, env);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('cannot reach the database postgres://ca:***@127.0.0.1:1/certwright: connect ECONNREFUSED 127.0.0.1:1; check CERTWRIGHT_DATABASE_URL');
      expect(run.stderr).not.toContain('secret');
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('status in an empty data directory says to run init', () => {
    const run = cli(['status'], { CERTWRIGHT_DATA_DIR: freshDir() });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('holds no CA yet; create one with `certwright init`');
  });

  it('migrate applies the schema once and then reports it current; eab create needs it', () => {
    const env = { CERTWRIGHT_DATA_DIR: freshDir() };
    const early = cli(['eab', 'create'], env);
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/schema version 0, this program needs [1-9]: run `certwright migrate` first/);
    const first = cli(['migrate'], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Migrated sqlite:.*certwright\.sqlite from schema version 0 to [1-9] \(applied .+\)\.$/m);
    const second = cli(['migrate'], env);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/is up to date \(schema version [1-9]\)/);
  });

  it('revoke explains an unknown serial, a malformed one and a bad reason', () => {
    const env = { CERTWRIGHT_DATA_DIR: freshDir() };
    expect(cli(['init'], env).status).toBe(0);
    const unknown = cli(['revoke', '0a:bc:de'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no certificate with serial 0abcde');
    const malformed = cli(['revoke', 'xyz'], env);
    expect(malformed.status).toBe(1);
    expect(malformed.stderr).toContain('is not a hexadecimal serial number');
    const reason = cli(['revoke', '0abcde', '--reason', 'boredom'], env);
    expect(reason.status).toBe(1);
    expect(reason.stderr).toContain('"boredom" is not an RFC 5280 §5.3.1 CRLReason');
  });
});

describe('certwright eab create with a server that requires External Account Binding', () => {
  it('prints a key that the server accepts, and the server refuses an account without one', async () => {
    const dir = freshDir();
    const env = {
      CERTWRIGHT_DATA_DIR: dir,
      CERTWRIGHT_EAB_REQUIRED: 'true',
      CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
      CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    };
    expect(cli(['init'], env).status).toBe(0);
    const created = cli(['eab', 'create', '--label', 'team-payments'], env);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toContain('labelled "team-payments"');
    const keyId = /key id:\s+(\S+)/.exec(created.stdout)![1]!;
    const hmacKey = /HMAC key:\s+(\S+)/.exec(created.stdout)![1]!;
    expect(Buffer.from(hmacKey, 'base64url')).toHaveLength(32);

    const server = await startServe(env);
    try {
      acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
      const unbound = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey() });
      await expect(unbound.createAccount({ termsOfServiceAgreed: true })).rejects.toThrow(/externalAccountBinding/);
      const bound = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), externalAccountBinding: { kid: keyId, hmacKey } });
      expect((await bound.createAccount({ termsOfServiceAgreed: true })).status).toBe('valid');
      // A key binds one account only.
      const third = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), externalAccountBinding: { kid: keyId, hmacKey } });
      await expect(third.createAccount({ termsOfServiceAgreed: true })).rejects.toThrow();
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const status = cli(['status'], env);
    expect(status.stdout).toContain('EAB keys:    1 (1 bound to an account)');
  });
});
