import { spawnSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { MAIN, freePort, startServe } from './processes.js';

/*
 * The README's start command runs examples/standalone/dist/main.js (built by
 * `pnpm start` / `pnpm test`): `certwright serve`. These tests run that
 * built program the way a newcomer does, in a fresh data directory.
 */
const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'certwright-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function ports(): Promise<Record<string, string>> {
  return { CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}` };
}

/** A start that is expected to fail before listening. */
function failingStart(dataDir: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [MAIN], { encoding: 'utf8', env: { ...process.env, CERTWRIGHT_DATA_DIR: dataDir, ...env }, timeout: 60_000 });
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

describe('pnpm start (examples/standalone)', () => {
  it('creates a root and an issuing CA on first start, serves, stops on SIGTERM, and keeps the CA across restarts', async () => {
    const dir = freshDir();
    const env: Record<string, string> = { CERTWRIGHT_DATA_DIR: dir, ...(await ports()) };
    const first = await startServe(env, 'main');
    expect(first.stdout()).toContain('(created now)');
    expect(first.stdout()).toMatch(/schema version [1-9]/);
    expect(first.directoryUrl).toBe(`https://${env['CERTWRIGHT_LISTEN']}/directory`);
    expect(await first.stop()).toBe(0);
    const fingerprint = first.fingerprint;
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(openssl(['x509', '-in', join(dir, 'root.pem'), '-noout', '-fingerprint', '-sha256']).out.trim()).toContain(fingerprint);
    expect(statSync(join(dir, 'root-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'intermediate-key.pem')).mode & 0o777).toBe(0o600);

    // The issuing CA chains to the root (its file holds the intermediate, then the root).
    const pem = readFileSync(join(dir, 'intermediate.pem'), 'utf8');
    writeFileSync(join(dir, 'only-intermediate.pem'), pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26));
    const verified = openssl(['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), join(dir, 'only-intermediate.pem')]);
    expect(verified.out).toContain(': OK');

    const second = await startServe(env, 'main');
    expect(second.stdout()).not.toContain('created now');
    expect(second.fingerprint).toBe(fingerprint);
    expect(await second.stop('SIGINT')).toBe(0);
    expect(second.stdout()).toContain('SIGINT received');
    expect(second.stdout()).toContain('stopped cleanly');
  });

  it('refuses a data directory holding only part of a CA instead of replacing it', async () => {
    const dir = freshDir();
    const server = await startServe({ CERTWRIGHT_DATA_DIR: dir, ...(await ports()) }, 'main');
    expect(await server.stop()).toBe(0);
    unlinkSync(join(dir, 'intermediate-key.pem'));
    const again = failingStart(dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('holds only part of a CA');
    expect(again.stderr).toContain('restore the missing files');
  });

  it('reports a bad configuration naming the field', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify({ ca: { keyType: 'DSA-1024' } }));
    const run = failingStart(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ca.keyType');
    expect(run.stderr).toContain('must be one of');
    const badEnv = failingStart(freshDir(), { CERTWRIGHT_HTTP01_PORT: '80000' });
    expect(badEnv.status).toBe(1);
    expect(badEnv.stderr).toContain('configuration: CERTWRIGHT_HTTP01_PORT: must be a TCP port');
  });

  it('serves under the path of CERTWRIGHT_EXTERNAL_URL, with the external host in its certificate', async () => {
    const port = await freePort();
    const server = await startServe({ CERTWRIGHT_DATA_DIR: freshDir(), ...(await ports()), CERTWRIGHT_LISTEN: `127.0.0.1:${port}`, CERTWRIGHT_EXTERNAL_URL: `https://localhost:${port}/acme/` }, 'main');
    try {
      expect(server.directoryUrl).toBe(`https://localhost:${port}/acme/directory`);
      expect(server.stdout()).toContain('for 127.0.0.1, localhost');
      const ca = readFileSync(server.rootPath, 'utf8');
      const get = (url: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          httpsRequest(url, { ca }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
            .on('error', reject)
            .end();
        });
      const directory = await get(server.directoryUrl);
      expect(directory.status).toBe(200);
      expect(JSON.parse(directory.body).newNonce).toBe(`https://localhost:${port}/acme/new-nonce`);
      // Outside the base path the listener still answers as an ACME server: 404 problem documents, never Fastify's JSON.
      for (const path of ['/directory', '/', '/%zz']) {
        const outside = await get(`https://localhost:${port}${path}`);
        expect(outside.status, path).toBe(404);
        expect(JSON.parse(outside.body), path).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed', status: 404 });
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('says which setting to change when the listen address is taken', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const run = failingStart(freshDir(), { CERTWRIGHT_LISTEN: `127.0.0.1:${port}`, CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}` });
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port} (CERTWRIGHT_LISTEN): the address is in use`);
  });
});

describe('configuration', () => {
  it('applies defaults, the file and environment overrides', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify({ ca: { organization: 'Example Corp', rootValidityDays: 7300 } }));
    const config = loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_DATABASE_URL: 'postgres://ca@db.internal/certwright' }, '/');
    expect(config.dataDir).toBe(dir);
    expect(config.databaseUrl).toBe('postgres://ca@db.internal/certwright');
    expect(config.ca.organization).toBe('Example Corp');
    expect(config.ca.rootValidityDays).toBe(7300);
    expect(config.ca.keyType).toBe('P-256');
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/').databaseUrl).toBe(`sqlite:${join(dir, 'certwright.sqlite')}`);
  });

  it('bounds the wait for the database: 10 s by default, CERTWRIGHT_DATABASE_TIMEOUT_MS or databaseTimeoutMs otherwise', () => {
    const dir = freshDir();
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/').databaseTimeoutMs).toBe(10_000);
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_DATABASE_TIMEOUT_MS: '2500' }, '/').databaseTimeoutMs).toBe(2500);
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_DATABASE_TIMEOUT_MS: '5s' }, '/')).toThrow(/CERTWRIGHT_DATABASE_TIMEOUT_MS: must be a whole number from 1 to 600000/);
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify({ databaseTimeoutMs: 30_000 }));
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/').databaseTimeoutMs).toBe(30_000);
  });

  it.each([
    [{ unknownSetting: 1 }, 'unknownSetting', 'unknown setting'],
    [{ ca: { rootValidityDays: -1 } }, 'ca.rootValidityDays', 'whole number'],
    [{ ca: { rootValidityDays: 10, intermediateValidityDays: 20 } }, 'ca.intermediateValidityDays', 'must not exceed'],
    [{ ca: { rootCommonName: '' } }, 'ca.rootCommonName', 'non-empty'],
    [{ databaseUrl: 'relative/path.db' }, 'databaseUrl', 'sqlite:'],
    [{ databaseTimeoutMs: 0 }, 'databaseTimeoutMs', 'from 1 to 600000'],
  ])('rejects %j naming %s', (file, field, message) => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify(file));
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/')).toThrow(new RegExp(`${field.replace('.', '\\.')}: .*${message}`));
  });

  it('rejects a config file that is not JSON, and a missing explicit config file', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), '{ not json');
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/')).toThrow(/not valid JSON/);
    expect(() => loadConfig({ CERTWRIGHT_CONFIG: join(dir, 'missing.json') }, '/')).toThrow(/CERTWRIGHT_CONFIG: cannot read/);
  });

  it('gives the server settings defaults derived from the listen addresses', () => {
    const config = loadConfig({ CERTWRIGHT_DATA_DIR: freshDir() }, '/');
    expect(config.server).toEqual({
      listen: { host: '127.0.0.1', port: 14000 },
      externalUrl: 'https://127.0.0.1:14000',
      statusListen: { host: '127.0.0.1', port: 14080 },
      statusBaseUrl: 'http://127.0.0.1:14080',
      http01Port: 80,
      tlsAlpn01Port: 443,
      dnsResolvers: [],
      allowPrivateNetworks: false,
      allowedIpRanges: [],
      externalAccountRequired: false,
    });
    const wildcard = loadConfig({ CERTWRIGHT_DATA_DIR: freshDir(), CERTWRIGHT_LISTEN: '[::]:8443', CERTWRIGHT_STATUS_LISTEN: '0.0.0.0:8080' }, '/');
    expect(wildcard.server.externalUrl).toBe('https://localhost:8443');
    expect(wildcard.server.statusBaseUrl).toBe('http://localhost:8080');
  });

  it('reads server settings from the file, and the environment wins', () => {
    const dir = freshDir();
    writeFileSync(
      join(dir, 'certwright.json'),
      JSON.stringify({ server: { listen: '10.0.0.5:443', externalUrl: 'https://acme.corp.example/', http01Port: 8080, allowedDomains: ['corp.example'], allowPrivateNetworks: true, dnsResolvers: ['10.0.0.53'] } }),
    );
    const config = loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_HTTP01_PORT: '5002', CERTWRIGHT_ALLOWED_IP_RANGES: '10.0.0.0/8, fd00::/8', CERTWRIGHT_EAB_REQUIRED: 'true', CERTWRIGHT_STATUS_BASE_URL: 'http://status.corp.example/ca' }, '/');
    expect(config.server).toMatchObject({
      listen: { host: '10.0.0.5', port: 443 },
      externalUrl: 'https://acme.corp.example',
      http01Port: 5002,
      allowedDomains: ['corp.example'],
      allowedIpRanges: ['10.0.0.0/8', 'fd00::/8'],
      allowPrivateNetworks: true,
      dnsResolvers: ['10.0.0.53'],
      externalAccountRequired: true,
      statusBaseUrl: 'http://status.corp.example/ca',
    });
  });

  it.each([
    [{ CERTWRIGHT_LISTEN: 'localhost' }, 'CERTWRIGHT_LISTEN', 'must be host:port'],
    [{ CERTWRIGHT_LISTEN: '127.0.0.1:0' }, 'CERTWRIGHT_LISTEN', 'port from 1 to 65535'],
    [{ CERTWRIGHT_STATUS_LISTEN: '127.0.0.1:99999' }, 'CERTWRIGHT_STATUS_LISTEN', 'port from 1 to 65535'],
    [{ CERTWRIGHT_EXTERNAL_URL: 'http://ca.example' }, 'CERTWRIGHT_EXTERNAL_URL', 'must be an https URL'],
    [{ CERTWRIGHT_EXTERNAL_URL: 'https://ca.example/?x=1' }, 'CERTWRIGHT_EXTERNAL_URL', 'query'],
    [{ CERTWRIGHT_STATUS_BASE_URL: 'ftp://ca.example' }, 'CERTWRIGHT_STATUS_BASE_URL', 'must be an http\\(s\\) URL'],
    [{ CERTWRIGHT_HTTP01_PORT: 'eighty' }, 'CERTWRIGHT_HTTP01_PORT', 'TCP port'],
    [{ CERTWRIGHT_TLSALPN01_PORT: '0' }, 'CERTWRIGHT_TLSALPN01_PORT', 'TCP port'],
    [{ CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'yes' }, 'CERTWRIGHT_ALLOW_PRIVATE_NETWORKS', 'true or false'],
    [{ CERTWRIGHT_EAB_REQUIRED: '1' }, 'CERTWRIGHT_EAB_REQUIRED', 'true or false'],
    [{ CERTWRIGHT_DNS_RESOLVER: 'dns.example:53' }, 'CERTWRIGHT_DNS_RESOLVER', 'not an IP address'],
    [{ CERTWRIGHT_ALLOWED_IP_RANGES: '10.0.0.0' }, 'CERTWRIGHT_ALLOWED_IP_RANGES', 'not a CIDR range'],
    [{ CERTWRIGHT_ALLOWED_DOMAINS: ',' }, 'CERTWRIGHT_ALLOWED_DOMAINS', 'comma-separated list'],
    [{ CERTWRIGHT_CT_LOGS: '/nonexistent/ct.json' }, 'CERTWRIGHT_CT_LOGS', 'cannot read the CT log list'],
  ])('rejects the environment %j naming %s', (env, field, message) => {
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: freshDir(), ...env }, '/')).toThrow(new RegExp(`configuration: ${field}: .*${message}`));
  });

  it.each([
    [{ server: { lisen: '127.0.0.1:1' } }, 'server.lisen', 'unknown setting'],
    [{ server: { http01Port: 70000 } }, 'server.http01Port', 'TCP port'],
    [{ server: { allowedDomains: [5] } }, 'server.allowedDomains', 'comma-separated list'],
    [{ server: 'all' }, 'server', 'must be an object'],
  ])('rejects the file %j naming %s', (file, field, message) => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify(file));
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/')).toThrow(new RegExp(`configuration: ${field.replace('.', '\\.')}: .*${message}`));
  });

  it('refuses a misspelt CERTWRIGHT_ variable, naming the one meant, and lets the test tooling and the PIN variable through', () => {
    const dir = freshDir();
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_ALLOW_PRIVATE_NETWORK: 'true' }, '/')).toThrow(
      'configuration: CERTWRIGHT_ALLOW_PRIVATE_NETWORK: unknown setting; did you mean CERTWRIGHT_ALLOW_PRIVATE_NETWORKS?',
    );
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_FROBNICATE: '1' }, '/')).toThrow(
      'configuration: CERTWRIGHT_FROBNICATE: unknown setting; the variables are listed in docs/configuration.md',
    );
    const tooling = { CERTWRIGHT_TEST_POSTGRES_URL: 'postgres://x', CERTWRIGHT_SCHEMA_PREMIGRATED: '1', CERTWRIGHT_HSM_PIN: '1234' };
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir, ...tooling }, '/').dataDir).toBe(dir);
    const hsm = { CERTWRIGHT_HSM_MODULE: '/usr/lib/softhsm/libsofthsm2.so', CERTWRIGHT_HSM_TOKEN: 't', CERTWRIGHT_HSM_PIN_ENV: 'CERTWRIGHT_ISSUING_PIN', CERTWRIGHT_ISSUING_PIN: '1234' };
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir, ...hsm }, '/').hsm?.pinEnv).toBe('CERTWRIGHT_ISSUING_PIN');
  });

  it('reads the CT log list and names the bad entry of a broken one', () => {
    const dir = freshDir();
    const good = { required: 1, logs: [{ url: 'https://ct.example/log', publicKey: '-----BEGIN PUBLIC KEY-----', operator: 'Example', acceptedUntil: '2030-01-01T00:00:00Z' }] };
    writeFileSync(join(dir, 'ct.json'), JSON.stringify(good));
    const config = loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_CT_LOGS: 'ct.json' }, dir);
    expect(config.server.ctLogs).toMatchObject({ path: join(dir, 'ct.json'), required: 1, logs: [{ url: 'https://ct.example/log', operator: 'Example' }] });
    expect(config.server.ctLogs?.logs[0]?.acceptedUntil?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    for (const [bad, field, message] of [
      [{ ...good, logs: [{ ...good.logs[0], url: 7 }] }, 'logs\\[0\\]\\.url', 'non-empty string'],
      [{ ...good, logs: [{ ...good.logs[0], acceptedUntil: 'soon' }] }, 'logs\\[0\\]\\.acceptedUntil', 'ISO 8601'],
      [{ ...good, required: 2 }, 'required', 'asks for 2 SCTs from distinct operators, but the list has only 1 log; add logs or lower required'],
      [{ ...good, required: 0 }, 'required', 'whole number from 1 to 100'],
      [{ ...good, logs: [] }, 'logs', 'non-empty array'],
    ] as const) {
      writeFileSync(join(dir, 'ct.json'), JSON.stringify(bad));
      expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_CT_LOGS: 'ct.json' }, dir)).toThrow(new RegExp(`CERTWRIGHT_CT_LOGS: ${field}: .*${message}`));
    }
  });
});
