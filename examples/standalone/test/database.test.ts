import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlStore } from '@certwright/core/sql';
import { issueForLoopback, startChallengeResponder } from './acme-flow.js';
import { cli, freePort, startServe } from './processes.js';

/*
 * The standalone CA on PostgreSQL and MariaDB/MySQL by URL
 * (CERTWRIGHT_DATABASE_URL), against the servers the repository's SQL tests
 * use: CERTWRIGHT_TEST_POSTGRES_URL and CERTWRIGHT_TEST_MYSQL_URL (see
 * README.md). Each run works in a database of its own, dropped afterwards.
 */
const servers = [
  { name: 'PostgreSQL', admin: process.env['CERTWRIGHT_TEST_POSTGRES_URL'] },
  { name: 'MariaDB/MySQL', admin: process.env['CERTWRIGHT_TEST_MYSQL_URL'] },
];
if (servers.some((s) => s.admin === undefined)) console.warn('standalone database tests: set CERTWRIGHT_TEST_POSTGRES_URL and CERTWRIGHT_TEST_MYSQL_URL to run them all');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement through certwright's own SQL layer (the drivers are core's dependencies). */
async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const store = await openSqlStore({ url: adminUrl });
  try {
    await sql.raw(statement).execute(store.db);
  } finally {
    await store.close();
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

for (const { name, admin: configured } of servers) {
  describe.runIf(configured !== undefined)(`certwright on ${name}`, () => {
    const admin = configured!;
    it('migrates, serves, issues, and keeps the account across a restart', async () => {
      const database = `cw_standalone_${randomBytes(6).toString('hex')}`;
      const quoted = admin.startsWith('postgres') ? `"${database}"` : `\`${database}\``;
      await adminQuery(admin, `create database ${quoted}`);
      const responder = await startChallengeResponder();
      const dir = mkdtempSync(join(tmpdir(), 'certwright-db-'));
      dirs.push(dir);
      try {
        const url = withDatabase(admin, database);
        const env = {
          CERTWRIGHT_DATA_DIR: dir,
          CERTWRIGHT_DATABASE_URL: url,
          CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`,
          CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
          CERTWRIGHT_HTTP01_PORT: String(responder.port),
          CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
          CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.1/32',
          CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
        };
        const migrated = cli(['migrate'], env);
        expect(migrated.status, migrated.stderr).toBe(0);
        expect(migrated.stdout).toMatch(/from schema version 0 to [1-9]/);
        const accountKey = await acme.crypto.createPrivateEcdsaKey();
        let accountUrl = '';
        for (const round of [1, 2]) {
          const server = await startServe(env);
          try {
            expect(server.stdout()).toContain(`database:            ${url.split('://')[0]}://`);
            acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
            const client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey, backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });
            await client.createAccount(round === 1 ? { termsOfServiceAgreed: true } : { onlyReturnExisting: true });
            if (round === 1) accountUrl = client.getAccountUrl();
            else expect(client.getAccountUrl()).toBe(accountUrl);
            expect(await issueForLoopback(client, responder)).toContain('-----BEGIN CERTIFICATE-----');
          } finally {
            expect(await server.stop()).toBe(0);
          }
        }
        // Two client certificates and one listener certificate per start.
        expect(cli(['status'], env).stdout).toContain('certificates: 4 issued, 0 of them revoked');
      } finally {
        await responder.close();
        await adminQuery(admin.startsWith('postgres') ? withDatabase(admin, 'postgres') : admin, `drop database if exists ${quoted}${admin.startsWith('postgres') ? ' with (force)' : ''}`);
      }
    });
  });
}
