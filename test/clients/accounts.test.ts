/**
 * Account deactivation (RFC 8555 §7.3.6) and account key rollover
 * (RFC 8555 §7.3.5) through real clients against a certwright CA:
 * certbot 2.1 `unregister` and uacme 1.7 `deactivate` leave the account
 * `deactivated` in the store, after which a request signed by its key is
 * refused with `unauthorized`; acme-client 5.4 `updateAccountKey` and
 * uacme `newkey` replace the key in the store, the new key orders and
 * obtains certificates, and the old key is refused (its signature no longer
 * verifies for the account, and newAccount with `onlyReturnExisting`
 * finds no account for it); a key that belongs to another account is
 * refused (409) and the account keeps its key.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, runClient, tempDir } from './processes.js';
import { certbotLive, runCertbot } from './runners.js';
import { withSystemTrust } from './system-trust.js';
import { startWebrootServer } from './webroot-server.js';
import type { WebrootServer } from './webroot-server.js';

/** The account id at the end of an account URL (`<base>/acct/<id>`). */
const accountId = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

describe('account deactivation and key rollover through real clients', () => {
  let ca: ClientTestCa;
  let dir: string;
  let server: WebrootServer;
  const webroot = (): string => join(dir, 'webroot');
  const HOOK = fileURLToPath(new URL('./hooks/uacme-http01.sh', import.meta.url));
  const uacme = (conf: string, args: string[]) => {
    const [command, wrapped] = withSystemTrust(ca.rootPath, 'uacme', ['-v', '-a', ca.directoryUrl, '-c', conf, ...args]);
    return runClient(command, wrapped, { env: { UACME_WEBROOT: webroot() }, timeoutMs: 90_000 });
  };

  beforeAll(async () => {
    ca = await startClientTestCa('accounts');
    dir = tempDir('accounts');
    mkdirSync(join(webroot(), '.well-known', 'acme-challenge'), { recursive: true });
    server = await startWebrootServer(webroot(), ca.http01Port);
    for (const client of ['certbot', 'uacme', 'uacme-newkey', 'acme-client']) await ca.addName(`${client}-account.${TEST_DOMAIN}`);
    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(ca.rootPath, 'utf8') });
  });
  afterAll(async () => {
    await server?.close();
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('certbot unregister deactivates the account; its key is then refused with unauthorized', async () => {
    const certbotDir = join(dir, 'certbot');
    const name = `certbot-account.${TEST_DOMAIN}`;
    expectSuccess(await runCertbot(ca, certbotDir, ['register', '--agree-tos', '--register-unsafely-without-email']));
    const accounts = join(certbotDir, 'config', 'accounts');
    const regr = (): { uri: string } => {
      const server = readdirSync(accounts, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith('regr.json'))!;
      return JSON.parse(readFileSync(join(accounts, server), 'utf8')) as { uri: string };
    };
    const id = accountId(regr().uri);
    expect((await ca.store.getAccount(id))?.status).toBe('valid');
    // certbot deletes its copy of the account on unregister; keep one to try the key afterwards.
    cpSync(accounts, join(dir, 'certbot-accounts-copy'), { recursive: true });

    const run = expectSuccess(await runCertbot(ca, certbotDir, ['unregister']));
    expect((await ca.store.getAccount(id))?.status, describeRun(run)).toBe('deactivated');

    cpSync(join(dir, 'certbot-accounts-copy'), accounts, { recursive: true });
    const refused = await runCertbot(ca, certbotDir, ['certonly', '--webroot', '-w', webroot(), '-d', name]);
    expect(refused.code, describeRun(refused)).not.toBe(0);
    const log = readFileSync(join(certbotDir, 'logs', 'letsencrypt.log'), 'utf8');
    expect(log, describeRun(refused)).toMatch(/Error: urn:ietf:params:acme:error:unauthorized :: .* :: The account at "[^"]+" is deactivated/);
    expect(existsSync(certbotLive(certbotDir, name, 'cert.pem')), describeRun(refused)).toBe(false);
  }, 120_000);

  it('uacme deactivate deactivates the account; uacme with that key then gets unauthorized', async () => {
    const conf = join(dir, 'uacme');
    const name = `uacme-account.${TEST_DOMAIN}`;
    const created = expectSuccess(await uacme(conf, ['-y', 'new']));
    const url = /account created at (\S+)/.exec(created.stdout + created.stderr)?.[1];
    expect(url, describeRun(created)).toBeDefined();
    const run = expectSuccess(await uacme(conf, ['deactivate']));
    expect((await ca.store.getAccount(accountId(url!)))?.status, describeRun(run)).toBe('deactivated');

    const refused = await uacme(conf, ['-h', HOOK, 'issue', name]);
    expect(refused.code, describeRun(refused)).not.toBe(0);
    expect(refused.stdout + refused.stderr, describeRun(refused)).toMatch(/urn:ietf:params:acme:error:unauthorized[\s\S]*is deactivated/);
  }, 120_000);

  it('uacme newkey rolls the account key over; the new key obtains a certificate for the same account', async () => {
    const conf = join(dir, 'uacme-newkey');
    const name = `uacme-newkey-account.${TEST_DOMAIN}`;
    const created = expectSuccess(await uacme(conf, ['-y', 'new']));
    const id = accountId(/account created at (\S+)/.exec(created.stdout + created.stderr)![1]!);
    const before = (await ca.store.getAccount(id))!.thumbprint;
    const rolled = expectSuccess(await uacme(conf, ['newkey']));
    const after = await ca.store.getAccount(id);
    expect(after?.status, describeRun(rolled)).toBe('valid');
    expect(after?.thumbprint, describeRun(rolled)).not.toBe(before);
    expect(await ca.store.getAccountByThumbprint(before), describeRun(rolled)).toBeUndefined();

    const run = expectSuccess(await uacme(conf, ['-h', HOOK, 'issue', name]));
    const certPath = join(conf, name, 'cert.pem');
    const leaf = await expectIssued(ca, { certPath, chainPath: certPath, names: [name], challenge: 'http-01', context: describeRun(run) });
    expect((await ca.certificateRecord(leaf)).accountId, describeRun(run)).toBe(id);
  }, 120_000);

  it('acme-client updateAccountKey: the new key orders for the account, the old key is refused', async () => {
    const oldKey = await acme.crypto.createPrivateEcdsaKey();
    const client = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: oldKey });
    await client.createAccount({ termsOfServiceAgreed: true });
    const url = client.getAccountUrl();
    const before = (await ca.store.getAccount(accountId(url)))!.thumbprint;

    const newKey = await acme.crypto.createPrivateEcdsaKey();
    const updated = await client.updateAccountKey(newKey);
    expect(updated.status).toBe('valid');
    const account = await ca.store.getAccount(accountId(url));
    expect(account?.thumbprint).not.toBe(before);

    const identifiers = [{ type: 'dns', value: `acme-client-account.${TEST_DOMAIN}` }];
    const order = await client.createOrder({ identifiers });
    expect(order.status).toBe('pending');
    expect(client.getAccountUrl()).toBe(url);

    const withOldKey = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: oldKey, accountUrl: url });
    await expect(withOldKey.createOrder({ identifiers })).rejects.toThrow(/the signature does not verify with the ES256 key/);
    const lookup = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: oldKey });
    await expect(lookup.createAccount({ onlyReturnExisting: true })).rejects.toThrow(/No account exists for this key/);

    // A key that already belongs to another account cannot be rolled to (409 conflict): the account keeps its key.
    const otherKey = await acme.crypto.createPrivateEcdsaKey();
    await new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: otherKey }).createAccount({ termsOfServiceAgreed: true });
    await expect(client.updateAccountKey(otherKey)).rejects.toThrow(/The new key already belongs to an account/);
    expect((await ca.store.getAccount(accountId(url)))?.thumbprint).toBe(account?.thumbprint);
    expect((await client.createOrder({ identifiers })).status).toBe('pending');
  }, 60_000);
});
