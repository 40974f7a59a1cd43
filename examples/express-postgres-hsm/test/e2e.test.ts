import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlStore } from '@certwright/core/sql';

/*
 * The example end to end, as `node dist/main.js` (built by `tsc -b`): a
 * fresh PostgreSQL database, a SoftHSM token in a temp directory, an http-01
 * responder on a loopback port the CA validates on, acme-client as the
 * client, openssl to check the chain and OCSP.
 */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const adminUrl = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];
const MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];
const modulePath = MODULES.find((p) => existsSync(p));
if (adminUrl === undefined) console.warn('express-postgres-hsm e2e skipped: set CERTWRIGHT_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
if (modulePath === undefined) console.warn('express-postgres-hsm e2e skipped: install SoftHSM2 (apt-get install softhsm2 opensc)');

/** Runs one statement on the admin connection through certwright's own SQL layer (the pg driver is core's dependency). */
async function adminStatement(url: string, statement: string): Promise<void> {
  const store = await openSqlStore({ url });
  try {
    const raw = { sql: statement, parameters: [], query: { kind: 'RawNode', sqlFragments: [statement], parameters: [] }, queryId: { queryId: 'admin' } };
    await store.db.executeQuery(raw as unknown as Parameters<typeof store.db.executeQuery>[0]);
  } finally {
    await store.close();
  }
}

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until the app prints its listening line; rejects with its stderr when it exits first. */
function started(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 60 s:\n${output.stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString();
      if (output.stdout.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${String(code)} before listening:\n${output.stderr}`));
    });
  });
}

function openssl(args: string[]): { status: number | null; out: string } {
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

describe.runIf(adminUrl !== undefined && modulePath !== undefined)('the Express app with PostgreSQL and the issuing key in SoftHSM', () => {
  const database = `cw_${randomBytes(6).toString('hex')}`;
  const challenges = new Map<string, string>();
  const responder = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : challenges.get(token);
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'no such challenge');
  });
  const output = { stdout: '', stderr: '' };
  let dir: string;
  let app: ChildProcess;
  let origin: string;
  let dbCreated = false;
  let appEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certwright-express-'));
    const tokens = join(dir, 'tokens');
    mkdirSync(tokens);
    writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    const hsmEnv = { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm2.conf') };
    const init = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', 'express-ca', '--pin', 'test-user-pin', '--so-pin', 'test-so-pin'], { env: hsmEnv, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);

    await adminStatement(adminUrl!, `create database "${database}"`);
    dbCreated = true;
    const databaseUrl = new URL(adminUrl!);
    databaseUrl.pathname = `/${database}`;

    const http01Port = await listenOnLoopback(responder);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    appEnv = {
        ...hsmEnv,
        LISTEN: `127.0.0.1:${port}`,
        PUBLIC_URL: origin,
        DATABASE_URL: databaseUrl.toString(),
        DATA_DIR: join(dir, 'data'),
        HSM_MODULE: modulePath!,
        HSM_TOKEN_LABEL: 'express-ca',
        HSM_PIN: 'test-user-pin',
        HTTP01_PORT: String(http01Port),
        VALIDATION_ALLOWED_RANGES: '127.0.0.0/8',
        ALLOWED_IP_RANGES: '127.0.0.1/32',
        DNS_RESOLVERS: '127.0.0.1',
    };
    await startApp();
  });

  /** Starts `node dist/main.js` with a fresh output buffer; resolves once it listens. */
  async function startApp(): Promise<void> {
    output.stdout = '';
    output.stderr = '';
    app = spawn(process.execPath, [MAIN], { env: appEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    app.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    await started(app, output);
  }

  /** Sends SIGTERM; resolves with the exit code. */
  function stopApp(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => app.once('exit', (code) => resolve(code)));
    app.kill('SIGTERM');
    return exited;
  }

  afterAll(async () => {
    if (app !== undefined && app.exitCode === null) {
      app.kill('SIGKILL');
      await new Promise((resolve) => app.once('exit', resolve));
    }
    await new Promise<void>((resolve) => responder.close(() => resolve()));
    if (dbCreated) await adminStatement(adminUrl!, `drop database if exists "${database}" with (force)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the CA at first start: root key 0600 in DATA_DIR, issuing key only on the token', () => {
    expect(output.stdout).toContain('created a new CA (issuing key on PKCS#11 token "express-ca", key "issuing-ca")');
    expect(statSync(join(dir, 'data', 'root-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'data', 'issuing-ca.pem'), 'utf8')).not.toContain('PRIVATE KEY');
  });

  it("serves the app's own route next to the CA", async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service: 'example-express-postgres-hsm', status: 'ok', acmeDirectory: `${origin}/acme/directory`, ocsp: `${origin}/ocsp/` });
  });

  it('issues over real http-01, chains to the root, and OCSP says good, then revoked after revocation', async () => {
    const client = new acme.Client({ directoryUrl: `${origin}/acme/directory`, accountKey: await acme.crypto.createPrivateEcdsaKey() });
    await client.createAccount({ termsOfServiceAgreed: true });
    const order = await client.createOrder({ identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
    for (const authz of await client.getAuthorizations(order)) {
      const challenge = authz.challenges.find((ch) => ch.type === 'http-01')!;
      challenges.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
    }
    const [, csr] = await acme.crypto.createCsr({ altNames: ['127.0.0.1'] });
    const pem = await client.getCertificate(await client.finalizeOrder(order, csr));
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g)!;
    expect(blocks).toHaveLength(2);
    const leaf = join(dir, 'leaf.pem');
    const issuing = join(dir, 'issuing.pem');
    writeFileSync(leaf, blocks[0]!);
    writeFileSync(issuing, blocks[1]!);
    const root = join(dir, 'data', 'root.pem');

    expect(openssl(['verify', '-x509_strict', '-CAfile', root, '-untrusted', issuing, leaf]).out).toContain(`${leaf}: OK`);
    expect(openssl(['x509', '-in', leaf, '-noout', '-ext', 'subjectAltName']).out).toContain('IP Address:127.0.0.1');

    const ocsp = () => openssl(['ocsp', '-issuer', issuing, '-cert', leaf, '-CAfile', root, '-url', `${origin}/ocsp/`, '-no_nonce']);
    const before = ocsp();
    expect(before.out).toContain('Response verify OK');
    expect(before.out).toContain(`${leaf}: good`);

    await client.revokeCertificate(pem, { reason: 4 });
    const after = ocsp();
    expect(after.out).toContain('Response verify OK');
    expect(after.out).toMatch(new RegExp(`${leaf}: revoked[\\s\\S]*Reason: superseded`));

    // The CRL at the certificate's distribution point lists the serial too.
    const crlUrl = /URI:(\S+\.crl)/.exec(openssl(['x509', '-in', leaf, '-noout', '-ext', 'crlDistributionPoints']).out)![1]!;
    expect(crlUrl.startsWith(`${origin}/crl/`)).toBe(true);
    const crl = new Uint8Array(await (await fetch(crlUrl)).arrayBuffer());
    writeFileSync(join(dir, 'crl.der'), crl);
    const serial = /serial=([0-9A-F]+)/.exec(openssl(['x509', '-in', leaf, '-noout', '-serial']).out)![1]!;
    // The CRL is signed by the issuing CA (its key on the token).
    writeFileSync(join(dir, 'crl-issuer.pem'), blocks[1]!);
    const crlText = openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-CAfile', join(dir, 'crl-issuer.pem'), '-noout', '-text']).out;
    expect(crlText).toContain('verify OK');
    expect(crlText).toContain(`Serial Number: ${serial}`);
  });

  it('still serves its own route, and stops on SIGTERM with exit code 0', async () => {
    expect((await fetch(`${origin}/`)).status).toBe(200);
    expect(await stopApp()).toBe(0);
  });

  it('loads the same CA at the next start (root from DATA_DIR, key from the token) and serves the same root', async () => {
    await startApp();
    expect(output.stdout).toContain('loaded the CA (issuing key on PKCS#11 token "express-ca"');
    expect(await (await fetch(`${origin}/root.pem`)).text()).toBe(readFileSync(join(dir, 'data', 'root.pem'), 'utf8'));
    expect((await fetch(`${origin}/acme/directory`)).status).toBe(200);
    expect(await stopApp()).toBe(0);
  });
});
