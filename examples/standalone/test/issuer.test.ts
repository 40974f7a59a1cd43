import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueForLoopback, startChallengeResponder, type ChallengeResponder } from './acme-flow.js';
import { cli, freePort, startServe } from './processes.js';

/*
 * Key rollover with `certwright issuer add` / `issuer retire`: the new
 * issuing CA issues after a restart, the retired one keeps answering OCSP
 * and serving its CRL for what it issued.
 */
describe('certwright issuer add / retire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-issuer-'));
  let responder: ChallengeResponder;
  let env: NodeJS.ProcessEnv;
  let statusUrl: string;
  const accountKey = acme.crypto.createPrivateEcdsaKey();

  beforeAll(async () => {
    responder = await startChallengeResponder();
    const statusPort = await freePort();
    statusUrl = `http://127.0.0.1:${statusPort}`;
    env = {
      CERTWRIGHT_DATA_DIR: join(dir, 'data'),
      CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      CERTWRIGHT_HTTP01_PORT: String(responder.port),
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.1/32',
      CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    };
  });

  afterAll(async () => {
    await responder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the server, issues one certificate, stops; returns the PEM chain and the server's output. */
  async function serveAndIssue(): Promise<{ pem: string; stdout: string }> {
    const server = await startServe(env);
    try {
      acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
      const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await accountKey, backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });
      await client.createAccount({ termsOfServiceAgreed: true });
      return { pem: await issueForLoopback(client, responder), stdout: server.stdout() };
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }

  function ocspStatus(pem: string, name: string): string {
    const [leaf, issuer] = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    writeFileSync(join(dir, `${name}-leaf.pem`), leaf!);
    writeFileSync(join(dir, `${name}-issuer.pem`), issuer!);
    const r = spawnSync('openssl', ['ocsp', '-issuer', join(dir, `${name}-issuer.pem`), '-cert', join(dir, `${name}-leaf.pem`), '-url', `${statusUrl}/ocsp/`, '-CAfile', join(dir, 'data', 'root.pem')], { encoding: 'utf8' });
    return r.stdout + r.stderr;
  }

  it('adds a new issuing CA, retires the old one, and the retired one still answers for its certificates', async () => {
    expect(cli(['init'], env).status).toBe(0);
    const before = await serveAndIssue();
    const oldIssuer = new X509Certificate(before.pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)![1]!);
    const oldId = /issuing CA:\s+([0-9a-f]+) \(P-256, active\)/.exec(before.stdout)![1]!;

    const added = cli(['issuer', 'add'], env);
    expect(added.status, added.stderr).toBe(0);
    const newId = /Added issuing CA ([0-9a-f]+) \(P-256/.exec(added.stdout)![1]!;
    expect(added.stdout).toContain(`Retired issuing CA ${oldId}`);
    expect(statSync(join(dir, 'data', 'issuers', newId, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'data', 'issuers', oldId, 'status'), 'utf8')).toBe('retired\n');
    expect(existsSync(join(dir, 'data', 'issuers', oldId, 'cert.pem'))).toBe(false);

    const status = cli(['status'], env);
    expect(status.stdout).toMatch(new RegExp(`issuing CA:\\s+${oldId} \\(P-256, retired\\)`));
    expect(status.stdout).toMatch(new RegExp(`issuing CA:\\s+${newId} \\(P-256, active\\)`));

    // After a restart the new CA issues; the chain verifies against the same root.
    const server = await startServe(env);
    try {
      expect(server.stdout()).toMatch(new RegExp(`issuing CA:\\s+${oldId} \\(P-256, retired\\)`));
      acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
      const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await accountKey, backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });
      await client.createAccount({ onlyReturnExisting: true });
      const after = await issueForLoopback(client, responder);
      const newIssuer = new X509Certificate(after.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)![1]!);
      expect(newIssuer.fingerprint256).not.toBe(oldIssuer.fingerprint256);
      expect(new X509Certificate(after).checkIssued(newIssuer)).toBe(true);
      expect(newIssuer.verify(new X509Certificate(readFileSync(server.rootPath, 'utf8')).publicKey)).toBe(true);

      // The retired issuer still signs OCSP for its certificate, and its CRL is served.
      expect(ocspStatus(before.pem, 'old')).toMatch(/old-leaf\.pem: good/);
      expect(ocspStatus(after, 'new')).toMatch(/new-leaf\.pem: good/);
      const crl = await fetch(`${statusUrl}/crl/${oldId}/0.crl`);
      expect(crl.status).toBe(200);
      expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('retire refuses an unknown issuer, a retired one, and the last active one', () => {
    const statusOut = cli(['status'], env).stdout;
    const active = /issuing CA:\s+([0-9a-f]+) \(P-256, active\)/.exec(statusOut)![1]!;
    const retired = /issuing CA:\s+([0-9a-f]+) \(P-256, retired\)/.exec(statusOut)![1]!;
    const unknown = cli(['issuer', 'retire', 'nope'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('no issuing CA "nope"; the issuing CAs are');
    const again = cli(['issuer', 'retire', retired], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('is already retired');
    const last = cli(['issuer', 'retire', active], env);
    expect(last.status).toBe(1);
    expect(last.stderr).toContain('is the last active one; add its successor first');
    // An issuer of another key type joins without retiring anyone; with it active, the P-256 one may retire.
    const p384 = cli(['issuer', 'add', '--key-type', 'P-384'], env);
    expect(p384.status, p384.stderr).toBe(0);
    expect(p384.stdout).not.toContain('Retired');
    const nowOk = cli(['issuer', 'retire', active], env);
    expect(nowOk.status, nowOk.stderr).toBe(0);
    expect(nowOk.stdout).toContain(`Retired issuing CA ${active}`);
    // Every CA under the root has a name of its own (RFC 5280 §4.1.2.6), though these were added within a minute.
    const subjects = [join(dir, 'data', 'intermediate.pem'), ...readdirSync(join(dir, 'data', 'issuers')).map((id) => join(dir, 'data', 'issuers', id, 'cert.pem'))]
      .filter((path) => existsSync(path))
      .map((path) => new X509Certificate(readFileSync(path, 'utf8')).subject);
    expect(subjects).toHaveLength(3);
    expect(new Set(subjects).size).toBe(3);
    expect(subjects.some((subject) => /CN=certwright Issuing CA P-384 \d{14}$/.test(subject))).toBe(true);
  });
});
