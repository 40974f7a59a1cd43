import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertwrightError, toProblem } from '../../src/errors.js';
import { isConnectionFailure, openSqlStore, type SqlStore } from '../../src/sql/index.js';
import { openFreshMysql, openFreshPostgres, type OpenedStore } from './databases.js';
import { startTcpProxy } from './tcp-proxy.js';

/*
 * The SQL store when its database goes away: connection failures become a
 * 503 `unavailable` error with Retry-After, a server that accepts TCP and
 * never answers fails within `timeoutMs`, and a session the server kills
 * (even in the middle of a statement) neither crashes the process nor
 * breaks the next statement.
 */

describe('isConnectionFailure', () => {
  const error = (message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), extra);
  it.each([
    ['a refused connection', error('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' })],
    ['a reset connection', error('read ECONNRESET', { code: 'ECONNRESET' })],
    ['pg: the connection ended', error('Connection terminated unexpectedly')],
    ['pg: no answer within query_timeout', error('Query read timeout')],
    ['pg: no connection within connectionTimeoutMillis', error('timeout exceeded when trying to connect')],
    ['PostgreSQL: the session was terminated (57P01)', error('terminating connection due to administrator command', { code: '57P01' })],
    ['PostgreSQL: connection exception (08006)', error('connection failure', { code: '08006' })],
    ['mysql2: a fatal error', error('Connection lost: The server closed the connection.', { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })],
    ['mysql2: no answer within the statement timeout', error('Query inactivity timeout', { code: 'PROTOCOL_SEQUENCE_TIMEOUT' })],
    ['PostgreSQL: a standby refusing a write (25006)', error('cannot execute INSERT in a read-only transaction', { code: '25006' })],
    ['MariaDB: a read-only server', error('The MariaDB server is running with the --read-only option so it cannot execute this statement', { code: 'ER_OPTION_PREVENTS_STATEMENT' })],
  ])('counts %s', (_what, err) => expect(isConnectionFailure(err)).toBe(true));
  it.each([
    ['a unique violation (PostgreSQL)', error('duplicate key value violates unique constraint', { code: '23505' })],
    ['a unique violation (MariaDB)', error("Duplicate entry 'x' for key 'PRIMARY'", { code: 'ER_DUP_ENTRY' })],
    ['a syntax error', error('syntax error at or near "selec"', { code: '42601' })],
    ['a value that is not an Error', 'ECONNRESET'],
  ])('does not count %s', (_what, err) => expect(isConnectionFailure(err)).toBe(false));
});

describe('openSqlStore against a server that accepts connections and never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (): number => (silent.address() as { port: number }).port;

  it.each(['postgres://postgres@127.0.0.1:{port}/test', 'mysql://root@127.0.0.1:{port}/test'])('gives up within timeoutMs: %s', async (template) => {
    const started = performance.now();
    const err = await openSqlStore({ url: template.replace('{port}', String(port())), timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/^cannot reach the database: .*(timeout|ETIMEDOUT|within 300 ms)/i);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('refuses a timeoutMs that is not a whole number of ms', async () => {
    await expect(openSqlStore({ url: `postgres://postgres@127.0.0.1:${port()}/test`, timeoutMs: -1 })).rejects.toThrow(/timeoutMs must be a whole number/);
  });
});

const backends = [
  {
    name: 'PostgreSQL',
    admin: process.env['CERTWRIGHT_TEST_POSTGRES_URL'],
    open: openFreshPostgres,
    sessionId: 'select pg_backend_pid() as id',
    sleep: 'select pg_sleep(5)',
    kill: (id: number) => `select pg_terminate_backend(${id})`,
  },
  {
    name: 'MariaDB/MySQL',
    admin: process.env['CERTWRIGHT_TEST_MYSQL_URL'],
    open: openFreshMysql,
    sessionId: 'select connection_id() as id',
    sleep: 'select sleep(5)',
    kill: (id: number) => `kill ${id}`,
  },
];

for (const backend of backends) {
  describe.runIf(backend.admin !== undefined)(`SqlStore on ${backend.name} when the server kills its session`, () => {
    let opened: OpenedStore;
    let admin: SqlStore;
    beforeAll(async () => {
      opened = await backend.open(backend.admin!, { migrate: false });
      admin = await openSqlStore({ url: backend.admin! });
    });
    afterAll(async () => {
      await admin?.close();
      await opened?.close();
    });

    it('fails the statement in flight with 503 unavailable and Retry-After, and the next statement works', async () => {
      const db = opened.store.db;
      // One connection does both, in a transaction: its id is the session that runs the sleep.
      const outcome = db.transaction().execute(async (trx) => {
        const { rows } = await sql.raw<{ id: number | string }>(backend.sessionId).execute(trx);
        const id = Number(rows[0]!.id);
        // Settled into a value at once: its failure arrives while the kill is still being awaited.
        const sleeping = sql.raw(backend.sleep).execute(trx).then(
          () => undefined,
          (e: unknown) => e,
        );
        await new Promise((r) => setTimeout(r, 200));
        await sql.raw(backend.kill(id)).execute(admin.db);
        const failure = await sleeping;
        if (failure !== undefined) throw failure;
      });
      const err = await outcome.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CertwrightError);
      const problem = toProblem(err);
      expect(problem.status).toBe(503);
      expect(problem.document.type).toBe('urn:ietf:params:acme:error:serverInternal');
      expect(problem.headers['Retry-After']).toBe('5');
      expect(isConnectionFailure((err as CertwrightError).cause)).toBe(true);
      // Logs print the message, which names the driver's error; the client's detail does not.
      const driverMessage = ((err as CertwrightError).cause as Error).message;
      expect((err as Error).message).toContain(driverMessage);
      expect(problem.document.detail).toBe('The CA cannot reach its database at the moment; retry later');
      for (let i = 0; i < 3; i++) expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one).toBe(1);
    });

    it('survives the network resetting its connections mid-statement (TCP RST), then reconnects', async () => {
      // Through a proxy that the test resets: the store's own database, reached on the proxy's port.
      const pg = backend.admin!.startsWith('postgres');
      const database = `cw_reset_${randomBytes(6).toString('hex')}`;
      await sql.raw(`create database ${pg ? `"${database}"` : `\`${database}\``}`).execute(admin.db);
      const upstream = new URL(backend.admin!);
      const proxy = await startTcpProxy(upstream.hostname, Number(upstream.port));
      const url = new URL(backend.admin!);
      url.port = String(proxy.port);
      url.pathname = `/${database}`;
      const store = await openSqlStore({ url: url.toString(), timeoutMs: 2000 });
      try {
        const statements = [0, 1, 2, 3].map(() => sql.raw(backend.sleep.replace('5', '1')).execute(store.db).then(() => 'ok', (e: unknown) => e));
        await new Promise((r) => setTimeout(r, 200));
        proxy.setMode('refuse');
        for (const outcome of await Promise.all(statements)) {
          expect(outcome).toBeInstanceOf(CertwrightError);
          expect((outcome as CertwrightError).code).toBe('unavailable');
        }
        await expect(sql`select 1`.execute(store.db)).rejects.toMatchObject({ code: 'unavailable' });
        proxy.setMode('forward');
        expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows[0]!.one).toBe(1);
      } finally {
        await store.close();
        await proxy.close();
        await sql.raw(`drop database if exists ${pg ? `"${database}" with (force)` : `\`${database}\``}`).execute(admin.db);
      }
    });

    it('drops an idle connection the server killed and answers the next statement', async () => {
      const db = opened.store.db;
      const { rows } = await sql.raw<{ id: number | string }>(backend.sessionId).execute(db);
      await sql.raw(backend.kill(Number(rows[0]!.id))).execute(admin.db);
      await new Promise((r) => setTimeout(r, 100));
      // The pool may hand out the dead connection once (503), never twice, never a crash.
      const first = await sql`select 1 as one`.execute(db).then(
        () => 'ok',
        (e: unknown) => (e instanceof CertwrightError && e.code === 'unavailable' ? 'unavailable' : e),
      );
      expect(['ok', 'unavailable']).toContain(first);
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows[0]!.one).toBe(1);
    });
  });
}

describe.runIf(process.env['CERTWRIGHT_TEST_POSTGRES_URL'] !== undefined)('SqlStore on PostgreSQL when its database refuses sessions (ALLOW_CONNECTIONS false)', () => {
  it('fails with 503 unavailable naming the refusal, and works again once connections are allowed', async () => {
    const admin = await openSqlStore({ url: process.env['CERTWRIGHT_TEST_POSTGRES_URL']! });
    const database = `cw_refuse_${randomBytes(6).toString('hex')}`;
    await sql.raw(`create database "${database}"`).execute(admin.db);
    const url = new URL(process.env['CERTWRIGHT_TEST_POSTGRES_URL']!);
    url.pathname = `/${database}`;
    const store = await openSqlStore({ url: url.toString(), timeoutMs: 2000 });
    try {
      await sql.raw(`alter database "${database}" allow_connections false`).execute(admin.db);
      await sql.raw(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}'`).execute(admin.db);
      for (let i = 0; i < 3; i++) {
        const err = await sql`select 1`.execute(store.db).then(() => undefined, (e: unknown) => e as CertwrightError);
        expect(err?.code).toBe('unavailable');
      }
      const last = await sql`select 1`.execute(store.db).then(() => undefined, (e: unknown) => e as Error);
      expect(last?.message).toMatch(/is not currently accepting connections/);
      await sql.raw(`alter database "${database}" allow_connections true`).execute(admin.db);
      expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows[0]!.one).toBe(1);
    } finally {
      await store.close();
      await sql.raw(`drop database if exists "${database}" with (force)`).execute(admin.db);
      await admin.close();
    }
  });
});

describe.runIf(process.env['CERTWRIGHT_TEST_MYSQL_URL'] !== undefined)('SqlStore on MariaDB/MySQL when its account is locked and its sessions killed', () => {
  it('fails with 503 unavailable naming the refusal, and works again once the account is unlocked', async () => {
    const admin = await openSqlStore({ url: process.env['CERTWRIGHT_TEST_MYSQL_URL']! });
    const user = `cw_lock_${randomBytes(6).toString('hex')}`;
    const account = `'${user}'@'%'`;
    await sql.raw(`create user ${account} identified by 'outage'`).execute(admin.db);
    const url = new URL(process.env['CERTWRIGHT_TEST_MYSQL_URL']!);
    await sql.raw(`grant select on \`${url.pathname.slice(1)}\`.* to ${account}`).execute(admin.db);
    url.username = user;
    url.password = 'outage';
    const store = await openSqlStore({ url: url.toString(), timeoutMs: 2000 });
    try {
      await sql.raw(`alter user ${account} account lock`).execute(admin.db);
      const { rows } = await sql<{ id: number | string }>`select id from information_schema.processlist where user = ${user}`.execute(admin.db);
      for (const row of rows) await sql.raw(`kill ${Number(row.id)}`).execute(admin.db);
      for (let i = 0; i < 3; i++) {
        const err = await sql`select 1`.execute(store.db).then(() => undefined, (e: unknown) => e as CertwrightError);
        expect(err?.code).toBe('unavailable');
      }
      const last = await sql`select 1`.execute(store.db).then(() => undefined, (e: unknown) => e as Error);
      expect(last?.message).toMatch(/account is locked/);
      await sql.raw(`alter user ${account} account unlock`).execute(admin.db);
      expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows[0]!.one).toBe(1);
    } finally {
      await store.close();
      await sql.raw(`drop user if exists ${account}`).execute(admin.db);
      await admin.close();
    }
  });
});
