/**
 * Two `certwright serve` processes on ONE PostgreSQL database, with the
 * same CA (`certwright init` in node A's data directory, the four CA files
 * copied into node B's), behind nginx: TLS terminated by nginx, ACME
 * proxied round-robin to both nodes' HTTPS listeners (verified against the
 * CA's root), the status listeners (OCSP, CRLs) round-robin over HTTP.
 * Both nodes set CERTWRIGHT_EXTERNAL_URL to nginx's URL, so the JWS `url`
 * (RFC 8555 §6.4) matches what the client sees. certbot issues and revokes
 * through nginx; each node's request log shows it served ACME requests of
 * that run, which works only because nonces, accounts, orders and
 * authorizations live in the shared store.
 *
 * Needs CERTWRIGHT_TEST_POSTGRES_URL (an admin URL; the test creates and
 * drops a database of its own) and nginx (scripts/install-test-deps.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, type X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startServe } from '../../examples/standalone/test/processes.js';
import type { ServeProcess } from '../../examples/standalone/test/processes.js';
import { startTestDns } from '../clients/challtestsrv.js';
import type { TestDns } from '../clients/challtestsrv.js';
import { describeRun, expectSuccess, freePort, runClient, tempDir } from '../clients/processes.js';
import { TEST_DOMAIN, expectRevokedEverywhere, expectValidCertificate, ocspStatus, openssl } from './standalone-ca.js';
import type { CaView } from './standalone-ca.js';

const adminUrl = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];
if (adminUrl === undefined) console.warn('two-node standalone test skipped: set CERTWRIGHT_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it');

const NAME = `two-nodes.standalone.${TEST_DOMAIN}`;
/** The files `certwright init` creates and every node of one CA needs (docs/configuration.md, "The data directory"). */
const CA_FILES = ['root.pem', 'root-key.pem', 'intermediate.pem', 'intermediate-key.pem'];

/** The PostgreSQL driver, a dependency of @certwright/core. */
interface PgClient {
  connect(): Promise<void>;
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(new URL('../../packages/core/package.json', import.meta.url))('pg') as { Client: new (options: { connectionString: string }) => PgClient };

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl! });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** The nginx configuration of the test (also shown in docs/operations.md). */
function nginxConf(o: { prefix: string; acmeListen: string; statusListen: string; acmeBackends: string[]; statusBackends: string[]; cert: string; key: string; root: string }): string {
  return `worker_processes 1;
events { worker_connections 256; }
http {
  access_log ${o.prefix}/access.log;
  client_body_temp_path ${o.prefix}/body;
  proxy_temp_path ${o.prefix}/proxy;
  fastcgi_temp_path ${o.prefix}/fastcgi;
  uwsgi_temp_path ${o.prefix}/uwsgi;
  scgi_temp_path ${o.prefix}/scgi;

  upstream certwright_acme {
${o.acmeBackends.map((b) => `    server ${b};`).join('\n')}
  }
  upstream certwright_status {
${o.statusBackends.map((b) => `    server ${b};`).join('\n')}
  }

  server {
    listen ${o.acmeListen} ssl;
    ssl_certificate ${o.cert};
    ssl_certificate_key ${o.key};
    location / {
      proxy_pass https://certwright_acme;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${o.root};
      proxy_ssl_verify_depth 2;
      proxy_ssl_name localhost;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }

  server {
    listen ${o.statusListen};
    location / {
      proxy_pass http://certwright_status;
      proxy_set_header Host $http_host;
    }
  }
}
`;
}

/** GETs `url` trusting only `ca`; resolves with the status, or 0 when the connection fails. */
function probe(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** The node's `http.request` log lines of its ACME listener. */
function acmeRequests(node: ServeProcess): { method: string; path: string; status: number }[] {
  return node
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { event?: string; listener?: string; method: string; path: string; status: number })
    .filter((e) => e.event === 'http.request' && e.listener === 'acme');
}

describe.runIf(adminUrl !== undefined)('two certwright serve nodes on one PostgreSQL database behind nginx', () => {
  const database = `cw_${randomBytes(6).toString('hex')}`;
  const dir = tempDir('two-nodes');
  const nodes: ServeProcess[] = [];
  let dns: TestDns | undefined;
  let nginx: ChildProcess | undefined;
  let nginxOutput = '';
  let created = false;
  let externalUrl = '';
  let statusUrl = '';
  let http01Port = 0;
  let rootPath = '';
  let view: CaView;
  let issued: X509Certificate | undefined;

  const certbot = (args: string[]) =>
    runClient('certbot', [...args, '--server', `${externalUrl}/directory`, '--non-interactive', '--config-dir', join(dir, 'certbot', 'config'), '--work-dir', join(dir, 'certbot', 'work'), '--logs-dir', join(dir, 'certbot', 'logs')], {
      env: { REQUESTS_CA_BUNDLE: rootPath },
      timeoutMs: 90_000,
    });
  const live = (file: string): string => join(dir, 'certbot', 'config', 'live', NAME, file);
  const nodeView = (_node: number, statusPort: number): CaView => ({ ...view, statusUrl: `http://127.0.0.1:${statusPort}` });
  let statusPorts: number[] = [];

  beforeAll(async () => {
    await admin(`create database "${database}"`);
    created = true;
    dns = await startTestDns();
    await dns.addA(NAME, ['127.0.0.1']);
    const [nginxPort, nginxStatusPort] = [await freePort(), await freePort()];
    http01Port = await freePort();
    externalUrl = `https://127.0.0.1:${nginxPort}`;
    statusUrl = `http://127.0.0.1:${nginxStatusPort}`;
    const common = {
      CERTWRIGHT_DATABASE_URL: withDatabase(adminUrl!, database),
      CERTWRIGHT_EXTERNAL_URL: externalUrl,
      CERTWRIGHT_STATUS_BASE_URL: statusUrl,
      CERTWRIGHT_HTTP01_PORT: String(http01Port),
      CERTWRIGHT_DNS_RESOLVER: dns.server,
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_DOMAINS: TEST_DOMAIN,
    };
    const [dirA, dirB] = [join(dir, 'node-a'), join(dir, 'node-b')];
    const init = cli(['init'], { ...common, CERTWRIGHT_DATA_DIR: dirA });
    expect(init.status, `${init.stdout}${init.stderr}`).toBe(0);
    mkdirSync(dirB);
    for (const file of CA_FILES) copyFileSync(join(dirA, file), join(dirB, file));
    rootPath = join(dirA, 'root.pem');
    view = { rootPath, intermediatePath: join(dirA, 'intermediate.pem'), statusUrl, workDir: dir };

    const acmePorts: number[] = [];
    statusPorts = [];
    for (const dataDir of [dirA, dirB]) {
      const [acmePort, statusPort] = [await freePort(), await freePort()];
      acmePorts.push(acmePort);
      statusPorts.push(statusPort);
      nodes.push(await startServe({ ...common, CERTWRIGHT_DATA_DIR: dataDir, CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}` }));
    }
    // Same CA on both nodes: the same root fingerprint, and neither created a CA of its own.
    expect(nodes[1]!.fingerprint).toBe(nodes[0]!.fingerprint);
    for (const node of nodes) expect(node.stdout()).not.toContain('(created now)');

    // nginx's own TLS certificate for 127.0.0.1, signed with the issuing key (the test's shortcut; see docs/operations.md).
    const prefix = join(dir, 'nginx');
    mkdirSync(prefix);
    const [key, csr, cert, ext] = ['proxy-key.pem', 'proxy.csr', 'proxy.pem', 'proxy.ext'].map((f) => join(prefix, f)) as [string, string, string, string];
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n');
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=127.0.0.1', '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', view.intermediatePath, '-CAkey', join(dirA, 'intermediate-key.pem'), '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
    writeFileSync(cert, readFileSync(cert, 'utf8') + readFileSync(view.intermediatePath, 'utf8').split('-----END CERTIFICATE-----')[0]! + '-----END CERTIFICATE-----\n');
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(
      conf,
      nginxConf({
        prefix,
        acmeListen: `127.0.0.1:${nginxPort}`,
        statusListen: `127.0.0.1:${nginxStatusPort}`,
        acmeBackends: acmePorts.map((p) => `127.0.0.1:${p}`),
        statusBackends: statusPorts.map((p) => `127.0.0.1:${p}`),
        cert,
        key,
        root: rootPath,
      }),
    );
    nginx = spawn('nginx', ['-e', 'stderr', '-c', conf, '-p', prefix, '-g', `daemon off; pid ${join(prefix, 'nginx.pid')}; error_log stderr;`], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.once('error', (err) => (nginxOutput += `nginx could not be started (Debian package "nginx", scripts/install-test-deps.sh): ${err.message}\n`));
    nginx.stdout!.setEncoding('utf8').on('data', (d: string) => (nginxOutput += d));
    nginx.stderr!.setEncoding('utf8').on('data', (d: string) => (nginxOutput += d));
    const rootPem = readFileSync(rootPath, 'utf8');
    for (let attempt = 0; (await probe(`${externalUrl}/directory`, rootPem)) !== 200; attempt++) {
      if (nginx.exitCode !== null || attempt >= 50) throw new Error(`nginx did not proxy ${externalUrl}/directory within 10 s:\n${nginxOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 120_000);

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    const codes = [];
    for (const node of nodes) codes.push(await node.stop());
    await dns?.stop();
    if (created) await admin(`drop database if exists "${database}" with (force)`);
    rmSync(dir, { recursive: true, force: true });
    expect(codes, nodes.map((n) => n.stderr()).join('\n')).toEqual(nodes.map(() => 0));
  }, 60_000);

  it('certbot obtains a certificate through nginx, both nodes serving ACME requests of the run', async () => {
    const before = nodes.map((n) => acmeRequests(n).length);
    const run = expectSuccess(
      await certbot(['certonly', '--standalone', '--http-01-port', String(http01Port), '--http-01-address', '127.0.0.1', '--agree-tos', '--register-unsafely-without-email', '-d', NAME]),
    );
    const context = `${describeRun(run)}\n--- nginx ---\n${nginxOutput}`;
    issued = await expectValidCertificate(view, { certPath: live('cert.pem'), chainPath: live('chain.pem'), names: [NAME], context });
    for (const [i, node] of nodes.entries()) {
      const served = acmeRequests(node).slice(before[i]);
      const posts = served.filter((r) => r.method === 'POST' && r.status < 300);
      expect(posts.length, `node ${i === 0 ? 'A' : 'B'} served no successful ACME POST of the run: ${JSON.stringify(served)}\n${context}`).toBeGreaterThan(0);
      // A nonce issued by one node is accepted by the other: no badNonce (400) answers.
      expect(served.filter((r) => r.status >= 400), JSON.stringify(served)).toEqual([]);
    }
  }, 120_000);

  it('certbot revokes through nginx: the revoking node answers revoked at once (OCSP, CRL), the other node\'s OCSP within its one-minute refresh', async () => {
    const before = nodes.map((n) => acmeRequests(n).length);
    const run = expectSuccess(await certbot(['revoke', '--cert-path', live('cert.pem'), '--reason', 'superseded', '--no-delete-after-revoke']));
    const revokedBy = nodes.findIndex((n, i) => acmeRequests(n).slice(before[i]).some((r) => r.method === 'POST' && r.path.endsWith('/revoke-cert') && r.status === 200));
    expect(revokedBy, `no node logged a successful revoke-cert\n${describeRun(run)}`).toBeGreaterThanOrEqual(0);
    // The node that handled the revocation re-signs its OCSP response and regenerates its CRL at once.
    await expectRevokedEverywhere(nodeView(revokedBy, statusPorts[revokedBy]!), issued!, describeRun(run));
    // The other node holds its own pre-signed OCSP responses (in memory) and re-reads the store every 60 s.
    const other = 1 - revokedBy;
    let out = '';
    for (let waited = 0; waited <= 75_000; waited += 2000) {
      out = ocspStatus(nodeView(other, statusPorts[other]!), issued!);
      if (/: revoked\n/.test(out)) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    expect(out, `OCSP of the node that did not handle the revocation, after 75 s\n${out}`).toMatch(/: revoked\n/);
    // Now both nodes agree, so OCSP through nginx's round-robin says revoked whichever node answers.
    for (let i = 0; i < 2; i++) expect(ocspStatus(view, issued!)).toMatch(/: revoked\n/);
  }, 120_000);
});
