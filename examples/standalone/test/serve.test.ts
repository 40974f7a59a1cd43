import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueForLoopback, startChallengeResponder, type ChallengeResponder } from './acme-flow.js';
import { cli, freePort, startServe, type ServeProcess } from './processes.js';

/*
 * `certwright serve` as an operator runs it: a fresh data directory, real
 * http-01 validation against a challenge responder on a loopback port
 * (CERTWRIGHT_HTTP01_PORT, CERTWRIGHT_ALLOW_PRIVATE_NETWORKS=true), an IP
 * identifier (RFC 8738) so no DNS is involved.
 */

function httpsGet(url: string, ca: string | undefined, method = 'GET'): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca === undefined ? {} : { ca }), method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openssl(args: string[], input?: string): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  return r.stdout + r.stderr;
}

describe('certwright serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-serve-'));
  let responder: ChallengeResponder;
  let env: NodeJS.ProcessEnv;
  let server: ServeProcess;
  let statusUrl: string;
  let rootPem: string;
  const accountKeyPromise = acme.crypto.createPrivateEcdsaKey();
  let accountUrl: string;
  let leafPem: string;
  let secondPem: string;

  const client = async (): Promise<acme.Client> => new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await accountKeyPromise, backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });

  const issue = (c: acme.Client): Promise<string> => issueForLoopback(c, responder);

  beforeAll(async () => {
    responder = await startChallengeResponder();
    const [acmePort, statusPort] = [await freePort(), await freePort()];
    statusUrl = `http://127.0.0.1:${statusPort}`;
    env = {
      CERTWRIGHT_DATA_DIR: join(dir, 'data'),
      CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      CERTWRIGHT_HTTP01_PORT: String(responder.port),
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.0/8',
      CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
    };
    server = await startServe(env);
    rootPem = readFileSync(server.rootPath, 'utf8');
    acme.axios.defaults.httpsAgent = new Agent({ ca: rootPem });
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await responder?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the directory URL and the root, whose fingerprint matches the file', () => {
    expect(server.directoryUrl).toBe(`https://${env['CERTWRIGHT_LISTEN']}/directory`);
    expect(server.rootPath).toBe(join(dir, 'data', 'root.pem'));
    expect(server.stdout()).toContain('(created now)');
    expect(openssl(['x509', '-in', server.rootPath, '-noout', '-fingerprint', '-sha256'])).toContain(server.fingerprint);
  });

  it('serves the directory over HTTPS with a certificate that verifies against the printed root', async () => {
    const res = await httpsGet(server.directoryUrl, rootPem);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).newOrder).toBe(server.directoryUrl.replace('/directory', '/new-order'));
    // Without the root the TLS handshake fails: the certificate is the CA's own, not a public one.
    await expect(httpsGet(server.directoryUrl, undefined)).rejects.toThrow(/certificate/);
  });

  it('answers an undecodable path and a method Fastify has no route for with ACME problem documents and a nonce', async () => {
    const base = server.directoryUrl.replace(/\/directory$/, '');
    for (const [path, method, status] of [['/acct/%zz', 'GET', 404], ['/%', 'POST', 404], ['/new-order', 'PROPFIND', 405]] as const) {
      const res = await httpsGet(`${base}${path}`, rootPem, method);
      const what = `${method} ${path}: ${res.body}`;
      expect(res.status, what).toBe(status);
      expect(res.headers['content-type'], what).toBe('application/problem+json');
      expect(JSON.parse(res.body), what).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed', status });
      expect(res.headers['replay-nonce'], what).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    }
  });

  it('answers a request that is not HTTP/1.1, header fields over the size limit and CONNECT with problem documents', async () => {
    const { hostname, port } = new URL(server.directoryUrl);
    const exchange = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ host: hostname, port: Number(port), ca: rootPem }, () => socket.write(text));
        let received = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
    const requests = [
      ['HELLO\r\n\r\n', 400],
      [`GET /directory HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['CONNECT /new-order HTTP/1.1\r\nHost: x\r\n\r\n', 405],
    ] as const;
    for (const [request, status] of requests) {
      const received = await exchange(request);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      expect(head, received).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head.toLowerCase(), received).toContain('content-type: application/problem+json');
      expect(JSON.parse(body)).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed', status });
    }
  });

  it('issues a certificate with real http-01 validation, carrying the status listener in AIA and CDP', async () => {
    const c = await client();
    await c.createAccount({ termsOfServiceAgreed: true });
    accountUrl = c.getAccountUrl();
    leafPem = await issue(c);
    const leaf = new X509Certificate(leafPem);
    expect(leaf.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(leaf.infoAccess).toContain(`OCSP - URI:${statusUrl}/ocsp/`);
    const text = openssl(['x509', '-noout', '-text'], leafPem);
    expect(text).toMatch(new RegExp(`X509v3 CRL Distribution Points:\\s+Full Name:\\s+URI:${statusUrl}/crl/[0-9a-f]+/0\\.crl`));
    writeFileSync(join(dir, 'leaf.pem'), leafPem);
    expect(openssl(['verify', '-CAfile', server.rootPath, '-untrusted', join(dir, 'data', 'intermediate.pem'), join(dir, 'leaf.pem')])).toContain(': OK');
  });

  it('answers OCSP for the certificate, and an ACME revocation shows at once', async () => {
    const pems = leafPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
    writeFileSync(join(dir, 'leaf-only.pem'), pems[0]!);
    writeFileSync(join(dir, 'issuer.pem'), pems[1]!);
    const ocsp = (): string => openssl(['ocsp', '-issuer', join(dir, 'issuer.pem'), '-cert', join(dir, 'leaf-only.pem'), '-url', `${statusUrl}/ocsp/`, '-CAfile', server.rootPath]);
    expect(ocsp()).toMatch(/leaf-only\.pem: good/);
    const c = await client();
    await c.createAccount({ onlyReturnExisting: true });
    await c.revokeCertificate(leafPem, { reason: 4 });
    const after = ocsp();
    expect(after).toMatch(/leaf-only\.pem: revoked/);
    expect(after).toContain('Reason: superseded');
    expect(after).toContain('Response verify OK');
  });

  it('answers /healthz, /readyz and /metrics on the status listener', async () => {
    expect(await (await fetch(`${statusUrl}/healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${statusUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { store: 'ok', issuingKey: 'ok' } });
    const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
    // The server's own TLS certificate and the client's certificate.
    expect(metrics).toContain('certwright_certificates_issued_total{profile="default"} 2');
    expect(metrics).toContain('certwright_validations_total{result="valid",type="http-01"} 1');
    expect(metrics).toMatch(/certwright_http_requests_total\{listener="acme",route="finalize",status="200"\} 1/);
    expect(metrics).toMatch(/certwright_http_requests_total\{listener="status",route="ocsp",status="200"\} [1-9]/);
    expect(metrics).toMatch(/certwright_signer_seconds_count\{issuer="[0-9a-f]+"\} [1-9]/);
    expect(metrics).toMatch(/certwright_signer_seconds_bucket\{issuer="[0-9a-f]+",le="\+Inf"\} [1-9]/);
  });

  it('logs one JSON line per request with method, path, status, duration and the account', () => {
    const lines = server.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const finalize = lines.find((l) => l['event'] === 'http.request' && l['route'] === 'finalize');
    expect(finalize).toMatchObject({ listener: 'acme', method: 'POST', status: 200, account: accountUrl.split('/').pop() });
    expect(finalize?.['order']).toMatch(/.+/);
    expect(typeof finalize?.['ms']).toBe('number');
  });

  it('revokes through the CLI while serving; status counts it', async () => {
    const c = await client();
    await c.createAccount({ onlyReturnExisting: true });
    secondPem = await issue(c);
    const serial = new X509Certificate(secondPem).serialNumber;
    const revoked = cli(['revoke', serial, '--reason', 'keyCompromise'], env);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked certificate ${serial.toLowerCase().replace(/^(00)+/, '')}`);
    expect(revoked.stdout).toContain('reason keyCompromise');
    const again = cli(['revoke', serial], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already revoked');
    const status = cli(['status'], env);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain('certificates: 3 issued, 2 of them revoked');
    expect(status.stdout).toContain(server.fingerprint);
  });

  it('stops cleanly on SIGTERM, and a restart keeps the CA, the account and the revocations', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.stdout()).toContain('stopped cleanly');
    server = await startServe(env);
    expect(server.stdout()).not.toContain('created now');
    const c = await client();
    await c.createAccount({ onlyReturnExisting: true });
    expect(c.getAccountUrl()).toBe(accountUrl);
    // The CRL of the issuing CA lists both revoked certificates.
    const issuerId = /issuing CA:\s+([0-9a-f]+)/.exec(server.stdout())![1]!;
    const crl = Buffer.from(await (await fetch(`${statusUrl}/crl/${issuerId}/0.crl`)).arrayBuffer());
    writeFileSync(join(dir, 'crl.der'), crl);
    const crlText = openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-text']);
    for (const pem of [leafPem, secondPem]) expect(crlText).toContain(new X509Certificate(pem).serialNumber.replace(/^(00)+/, ''));
    const servedNumber = Number(/X509v3 CRL Number:\s+(\d+)/.exec(crlText)![1]);

    // One server per data directory; CRLs come from the running server only.
    const second = cli(['serve'], env);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another certwright serve (pid ${server.child.pid}) is using the data directory`);
    const busy = cli(['crl', 'publish'], env);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain(`the server (pid ${server.child.pid}) publishes CRLs for this data directory itself`);
    expect(await server.stop('SIGINT')).toBe(0);

    const published = cli(['crl', 'publish'], env);
    expect(published.status, published.stderr).toBe(0);
    const number = Number(new RegExp(`CRL of ${issuerId} shard 0: number (\\d+), 2 entries`).exec(published.stdout)?.[1]);
    expect(number).toBeGreaterThan(servedNumber);
    const file = openssl(['crl', '-inform', 'DER', '-in', join(dir, 'data', 'crls', issuerId, '0.crl'), '-noout', '-text']);
    expect(file).toMatch(new RegExp(`X509v3 CRL Number:\\s+${number}\\b`));
  });

  it('takes over the lock of a server that crashed', async () => {
    server = await startServe(env);
    const pid = server.child.pid!;
    expect(readFileSync(join(dir, 'data', 'server.pid'), 'utf8')).toBe(`${pid}\n`);
    expect(await server.stop('SIGKILL')).toBe(null);
    expect(readFileSync(join(dir, 'data', 'server.pid'), 'utf8')).toBe(`${pid}\n`);
    server = await startServe(env);
    expect(await server.stop()).toBe(0);
    expect(existsSync(join(dir, 'data', 'server.pid'))).toBe(false);
  });
});
