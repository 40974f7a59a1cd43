import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request, type Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCsr, generateSoftwareSigner } from '@certwright/core';
import { openSqlStore, type SqlStore } from '@certwright/core/sql';
import { startTestLog } from '@certwright/ct/testing';
import { fetchDirectory, type Directory } from '../../../bench/src/acme-load/client.js';
import { keepAliveAgent } from '../../../bench/src/acme-load/http.js';
import { b64u, generateAccountKey, signJws, type AccountKey } from '../../../bench/src/acme-load/jws.js';
import { CLI, freePort, startServe, type ServeProcess } from './processes.js';
import { startTcpProxy, type TcpProxy } from '../../../packages/core/test/sql/tcp-proxy.js';

/*
 * The standalone CA on PostgreSQL and MariaDB/MySQL while its database goes
 * away and comes back, under a light concurrent ACME load (account
 * POST-as-GETs, newNonce, whole issuances). The CA reaches the database
 * through a TCP proxy in the test (tcp-proxy.ts), which refuses and resets
 * connections (the database is down) or accepts them and never answers (a
 * partition, a hung server). Throughout, the process must stay up and every
 * ACME request must get an answer within a bound set by
 * CERTWRIGHT_DATABASE_TIMEOUT_MS: a success, a 503 serverInternal problem
 * with Retry-After, or a badNonce; /readyz must say 503 and why, /healthz
 * 200. Once the proxy forwards again the server must be ready and issue
 * without a restart, every order and authorization the clients saw must
 * still read, a validation that ended during a cut must be recorded, and
 * no write-ahead certificate row may be left outside the recovery's reach
 * (an issuance cut off while a CT log holds its precertificate stays
 * `precertificate` with its order `processing`, for order recovery). A server started while the database is down must exit
 * non-zero with a message naming the database.
 */
const servers = [
  { name: 'PostgreSQL', admin: process.env['CERTWRIGHT_TEST_POSTGRES_URL'] },
  { name: 'MariaDB/MySQL', admin: process.env['CERTWRIGHT_TEST_MYSQL_URL'] },
];
if (servers.some((s) => s.admin === undefined)) console.warn('database outage tests: set CERTWRIGHT_TEST_POSTGRES_URL and CERTWRIGHT_TEST_MYSQL_URL to run them all');

/** The CA's database timeout in these tests (the default is 10 s). */
const TIMEOUT_MS = 1500;
/** No ACME request may take longer than this while the database is away. */
const ANSWER_BOUND_MS = 3 * TIMEOUT_MS;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function withDatabase(url: string, database: string, port?: number): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

/** Runs `run` on a store of `url` (the drivers are core's dependencies). */
async function withStore<T>(url: string, run: (db: SqlStore['db']) => Promise<T>): Promise<T> {
  const store = await openSqlStore({ url });
  try {
    return await run(store.db);
  } finally {
    await store.close();
  }
}

/** The http-01 responder (RFC 8555 §8.3), which can hold one token's answer until the test releases it. */
interface Responder {
  readonly port: number;
  /** Key authorizations by token. */
  readonly answers: Map<string, string>;
  /** Holds the answer for `token`: `asked` resolves when the CA asks for it, `release` sends it. */
  hold(token: string): { asked: Promise<void>; release(): void };
  close(): Promise<void>;
}

/** Listens on every address: Linux delivers every 127/8 address there, so each issuance can use its own. */
async function startResponder(): Promise<Responder> {
  const answers = new Map<string, string>();
  const held = new Map<string, { asked: () => void; released: Promise<void> }>();
  const server = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1] ?? '';
    const hold = held.get(token);
    hold?.asked();
    void (hold?.released ?? Promise.resolve()).then(() => {
      const answer = answers.get(token);
      res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'no such challenge');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return {
    port: (server.address() as { port: number }).port,
    answers,
    hold(token) {
      let asked = (): void => undefined;
      let release = (): void => undefined;
      const entry = { asked: () => asked(), released: new Promise<void>((r) => (release = r)) };
      held.set(token, entry);
      return { asked: new Promise<void>((r) => (asked = r)), release: () => release() };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs the CLI without blocking this process (whose event loop runs the proxy). */
function cliAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    }),
  );
}

/** One HTTPS exchange, timed; a transport failure or no answer within 15 s is reported, not thrown. */
interface Exchange {
  what: string;
  status: number;
  ms: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  error?: string;
}

function exchange(agent: Agent, what: string, url: string, method: 'GET' | 'HEAD' | 'POST', body?: string): Promise<Exchange> {
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (e: Omit<Exchange, 'what' | 'ms'>): void => resolve({ what, ms: performance.now() - started, ...e });
    const headers = body === undefined ? {} : { 'content-type': 'application/jose+json', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (err) => done({ status: 0, headers: {}, body: '', error: err.message }));
    req.end(body);
  });
}

function header(e: Exchange, name: string): string | undefined {
  const v = e.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Why an answer breaks the contract while the database is away, or undefined when it keeps it. */
function breach(e: Exchange): string | undefined {
  const where = `${e.what}: `;
  if (e.error !== undefined) return `${where}${e.error} after ${e.ms.toFixed(0)} ms`;
  if (e.ms > ANSWER_BOUND_MS) return `${where}answered after ${e.ms.toFixed(0)} ms`;
  if (e.status < 400) return undefined;
  // A HEAD (newNonce) answer has the problem's headers but no body.
  const problem = (e.body === '' && e.what === 'newNonce' ? { type: 'urn:ietf:params:acme:error:serverInternal', status: e.status } : JSON.parse(e.body)) as { type?: string; status?: number };
  if (e.status === 400 && problem.type === 'urn:ietf:params:acme:error:badNonce') return undefined;
  if (e.status !== 503 || problem.type !== 'urn:ietf:params:acme:error:serverInternal' || problem.status !== 503) return `${where}HTTP ${e.status} ${e.body}`;
  if (!/^application\/problem\+json/.test(header(e, 'content-type') ?? '')) return `${where}503 without a problem document`;
  if (!/^[1-9][0-9]*$/.test(header(e, 'retry-after') ?? '')) return `${where}503 without Retry-After`;
  return undefined;
}

/** A problem answer (the caller starts over). */
class Refused extends Error {}

/** One account's ACME client: plain JWS over HTTPS, every exchange recorded. */
class Client {
  readonly key: AccountKey = generateAccountKey();
  url = '';
  private nonce: string | undefined;
  /** Order and authorization URLs the server showed this client. */
  readonly seen = new Set<string>();

  constructor(
    private readonly agent: Agent,
    private readonly directory: Directory,
    private readonly log: Exchange[],
  ) {}

  async register(): Promise<void> {
    const res = await this.post(this.directory.newAccount, { termsOfServiceAgreed: true }, false);
    this.url = header(res, 'location')!;
  }

  async newNonce(): Promise<void> {
    const res = await this.record(exchange(this.agent, 'newNonce', this.directory.newNonce, 'HEAD'));
    if (res.status === 200) this.nonce = header(res, 'replay-nonce');
  }

  /** POST (payload undefined: POST-as-GET, RFC 8555 §6.3); throws {@link Refused} on any problem. */
  async post(url: string, payload: unknown, withKid = true): Promise<Exchange> {
    let nonce = this.nonce;
    this.nonce = undefined;
    if (nonce === undefined) {
      const fresh = await this.record(exchange(this.agent, 'newNonce', this.directory.newNonce, 'HEAD'));
      nonce = header(fresh, 'replay-nonce');
      if (fresh.status !== 200 || nonce === undefined) throw new Refused(`newNonce: HTTP ${fresh.status}`);
    }
    const what = url === this.url ? 'account' : (/\/(acme\/)?([a-z-]+)\//.exec(new URL(url).pathname)?.[2] ?? url);
    const res = await this.record(exchange(this.agent, what, url, 'POST', signJws(this.key, { url, nonce, ...(withKid ? { kid: this.url } : {}), payload })));
    this.nonce = header(res, 'replay-nonce');
    if (res.status >= 400 || res.error !== undefined) throw new Refused(`${what}: HTTP ${res.status}`);
    return res;
  }

  /** A whole issuance for `ip` (RFC 8555 §7.4); returns the PEM chain. */
  async issue(ip: string, challenges: Responder): Promise<string> {
    const created = await this.post(this.directory.newOrder, { identifiers: [{ type: 'ip', value: ip }] });
    const orderUrl = header(created, 'location')!;
    this.seen.add(orderUrl);
    const order = JSON.parse(created.body) as { authorizations: string[]; finalize: string };
    for (const authzUrl of order.authorizations) {
      this.seen.add(authzUrl);
      let authz = JSON.parse((await this.post(authzUrl, undefined)).body) as { status: string; challenges: { type: string; url: string; token: string }[] };
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      challenges.answers.set(challenge.token, `${challenge.token}.${this.key.thumbprint}`);
      await this.post(challenge.url, {});
      for (let i = 0; authz.status === 'pending' && i < 100; i++) {
        await sleep(30);
        authz = JSON.parse((await this.post(authzUrl, undefined)).body) as typeof authz;
      }
      if (authz.status !== 'valid') throw new Refused(`authorization ${authz.status}`);
    }
    const signer = await generateSoftwareSigner('P-256');
    const csr = await buildCsr({ signer, identifiers: [{ type: 'ip', value: ip }] });
    let state = JSON.parse((await this.post(order.finalize, { csr: b64u(csr) })).body) as { status: string; certificate?: string };
    for (let i = 0; state.status === 'processing' && i < 100; i++) {
      await sleep(30);
      state = JSON.parse((await this.post(orderUrl, undefined)).body) as typeof state;
    }
    if (state.status !== 'valid') throw new Refused(`order ${state.status}`);
    return (await this.post(state.certificate!, undefined)).body;
  }

  private async record(pending: Promise<Exchange>): Promise<Exchange> {
    const e = await pending;
    this.log.push(e);
    return e;
  }
}

/** `/readyz` and `/healthz` of the status listener, with how long they took. */
async function probe(statusBase: string, path: '/readyz' | '/healthz'): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(`${statusBase}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text(), ms: performance.now() - started };
  } catch (err) {
    return { status: 0, body: (err as Error).message, ms: performance.now() - started };
  }
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

for (const { name, admin: configured } of servers) {
  describe.runIf(configured !== undefined)(`certwright on ${name} while the database goes away`, () => {
    const admin = configured ?? '';
    const pg = admin.startsWith('postgres');

    /** A database of its own, the proxy in front of the database server, and the CA's environment. */
    async function setUp(): Promise<{ database: string; proxy: TcpProxy; env: Record<string, string>; statusBase: string; challenges: Responder; drop: () => Promise<void> }> {
      const database = `cw_outage_${randomBytes(6).toString('hex')}`;
      const quoted = pg ? `"${database}"` : `\`${database}\``;
      await withStore(admin, (db) => sql.raw(`create database ${quoted}`).execute(db));
      const upstream = new URL(admin);
      const proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || (pg ? 5432 : 3306)));
      const challenges = await startResponder();
      const dir = mkdtempSync(join(tmpdir(), 'certwright-outage-'));
      dirs.push(dir);
      const statusPort = await freePort();
      const env = {
        CERTWRIGHT_DATA_DIR: dir,
        CERTWRIGHT_DATABASE_URL: withDatabase(admin, database, proxy.port),
        CERTWRIGHT_DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
        CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`,
        CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        CERTWRIGHT_HTTP01_PORT: String(challenges.port),
        CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
        CERTWRIGHT_ALLOWED_IP_RANGES: '127.0.0.0/8',
        CERTWRIGHT_DNS_RESOLVER: '127.0.0.1:53',
      };
      const drop = async (): Promise<void> => {
        await challenges.close();
        await proxy.close();
        await withStore(pg ? withDatabase(admin, 'postgres') : admin, (db) => sql.raw(`drop database if exists ${quoted}${pg ? ' with (force)' : ''}`).execute(db));
      };
      return { database, proxy, env, statusBase: `http://127.0.0.1:${statusPort}`, challenges, drop };
    }

    /**
     * The certificate records still in flight, with their orders' status. Nothing may be half-written outside the
     * recovery's reach: such a record must belong to an order still `processing`, which the periodic order recovery
     * completes or invalidates from that record.
     */
    async function inFlight(database: string): Promise<{ state: string; order_id: string | null; order_status: string | null }[]> {
      return withStore(withDatabase(admin, database), async (db) => {
        const result = await sql<{ state: string; order_id: string | null; order_status: string | null }>`
          select c.state as state, c.order_id as order_id, o.status as order_status from certificates c left join orders o on o.id = c.order_id
          where c.state in ('reserved', 'planned', 'precertificate')`.execute(db);
        return result.rows;
      });
    }

    it('answers every ACME request promptly through an outage and a hang, and recovers by itself', { timeout: 50_000 }, async () => {
      const { database, proxy, env, statusBase, challenges, drop } = await setUp();
      let server: ServeProcess | undefined;
      try {
        server = await startServe(env);
        const agent = keepAliveAgent(readFileSync(server.rootPath, 'utf8'), 16);
        const directory = await fetchDirectory(agent, server.directoryUrl);
        const log: Exchange[] = [];
        // Three clients make the load; the fourth checks issuance after each outage.
        const clients = [0, 1, 2, 3].map(() => new Client(agent, directory, log));
        for (const c of clients) await c.register();
        let ip = 1;
        const nextIp = (): string => `127.1.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`;
        expect(await clients[0]!.issue(nextIp(), challenges)).toContain('-----BEGIN CERTIFICATE-----');

        // Light load: one client issues over and over, one reads its account, one asks for nonces.
        let running = true;
        const loops = [
          (async () => {
            while (running) await clients[0]!.issue(nextIp(), challenges).catch((err: unknown) => (err instanceof Refused ? sleep(100) : Promise.reject(err)));
          })(),
          (async () => {
            while (running) await clients[1]!.post(clients[1]!.url, undefined).then(() => sleep(40), (err: unknown) => (err instanceof Refused ? sleep(100) : Promise.reject(err)));
          })(),
          (async () => {
            while (running) await clients[2]!.newNonce().then(() => sleep(40));
          })(),
        ];

        /** Keeps the proxy in `mode` for `ms`; every request answered meanwhile must keep the contract. */
        const outage = async (mode: 'refuse' | 'blackhole', ms: number): Promise<void> => {
          const from = log.length;
          proxy.setMode(mode);
          const end = performance.now() + ms;
          await sleep(TIMEOUT_MS / 2);
          while (performance.now() < end) {
            const [ready, health] = await Promise.all([probe(statusBase, '/readyz'), probe(statusBase, '/healthz')]);
            expect(ready.status, ready.body).toBe(503);
            const checks = (JSON.parse(ready.body) as { checks: { store: string; issuingKey: string } }).checks;
            expect(checks.store).toMatch(mode === 'refuse' ? /^failed: .*(ECONNRESET|ECONNREFUSED|terminated|closed|lost)/i : /^failed: .*(did not answer|timeout|ETIMEDOUT|no database connection within)/i);
            expect(checks.issuingKey).toBe('ok');
            expect(ready.ms).toBeLessThan(3000);
            expect(health.status).toBe(200);
            await sleep(300);
          }
          proxy.setMode('forward');
          const during = log.slice(from);
          expect(during.map(breach).filter((b) => b !== undefined)).toEqual([]);
          expect(during.filter((e) => e.status === 503).length, `${mode}: no request failed`).toBeGreaterThan(0);
        };
        /** Once forwarding again: ready within a few seconds, and a whole issuance works. */
        const recovered = async (): Promise<void> => {
          let ready = await probe(statusBase, '/readyz');
          for (let i = 0; ready.status !== 200 && i < 40; i++) {
            await sleep(100);
            ready = await probe(statusBase, '/readyz');
          }
          expect(ready.status, ready.body).toBe(200);
          expect(await clients[3]!.issue(nextIp(), challenges)).toContain('-----BEGIN CERTIFICATE-----');
        };

        await sleep(500);
        await outage('refuse', 3000);
        await recovered();
        await outage('blackhole', 3500);
        await recovered();
        running = false;
        await Promise.all(loops);
        expect(server.child.exitCode).toBeNull();

        // A validation that ends while the database is away is recorded once it is back: its authorization turns
        // valid instead of staying pending beside a challenge stuck `processing`.
        const v = clients[3]!;
        const created = await v.post(directory.newOrder, { identifiers: [{ type: 'ip', value: nextIp() }] });
        const authzUrl = (JSON.parse(created.body) as { authorizations: string[] }).authorizations[0]!;
        v.seen.add(header(created, 'location')!).add(authzUrl);
        const challenge = (JSON.parse((await v.post(authzUrl, undefined)).body) as { challenges: { type: string; url: string; token: string }[] }).challenges.find((c) => c.type === 'http-01')!;
        challenges.answers.set(challenge.token, `${challenge.token}.${v.key.thumbprint}`);
        const held = challenges.hold(challenge.token);
        const posted = v.post(challenge.url, {}).catch((err: unknown) => err);
        await held.asked;
        proxy.setMode('refuse');
        held.release();
        await sleep(700);
        proxy.setMode('forward');
        await posted;
        let authzStatus = 'pending';
        for (let i = 0; authzStatus === 'pending' && i < 40; i++) {
          await sleep(250);
          const read = await v.post(authzUrl, undefined).catch((err: unknown) => (err instanceof Refused ? undefined : Promise.reject(err)));
          if (read !== undefined) authzStatus = (JSON.parse(read.body) as { status: string }).status;
        }
        expect(authzStatus).toBe('valid');
        expect(server.stdout()).toContain('"event":"acme.challenge.recordDelayed"');

        // Every order and authorization any client was shown still reads.
        for (const c of clients) {
          for (const url of c.seen) expect((await c.post(url, undefined).catch((err: Error) => err)) instanceof Error ? url : 'ok').toBe('ok');
        }
        expect((await inFlight(database)).filter((r) => r.order_status !== 'processing')).toEqual([]);
        expect(server.stderr()).not.toMatch(/unhandled|uncaught/i);
        expect(server.stdout()).toMatch(/"event":"acme\.request\.unavailable","error":"[^"]+"/);
        expect(await server.stop()).toBe(0);
      } finally {
        if (server?.child.exitCode === null) await server.stop('SIGKILL');
        await drop();
      }
    });

    it('leaves an issuance cut off while it waits for its SCTs where order recovery finishes it, and issues again', { timeout: 40_000 }, async () => {
      const { database, proxy, env, challenges, drop } = await setUp();
      const log = await startTestLog({ operator: 'Outage Operator', name: 'outage-log' });
      const listDir = mkdtempSync(join(tmpdir(), 'certwright-outage-ct-'));
      dirs.push(listDir);
      const logList = join(listDir, 'ct.json');
      writeFileSync(logList, JSON.stringify({ required: 1, logs: [{ url: log.url, publicKey: log.publicKeyPem, operator: log.operator, name: log.name }] }));
      let server: ServeProcess | undefined;
      try {
        server = await startServe({ ...env, CERTWRIGHT_CT_LOGS: logList });
        const agent = keepAliveAgent(readFileSync(server.rootPath, 'utf8'), 4);
        const directory = await fetchDirectory(agent, server.directoryUrl);
        const client = new Client(agent, directory, []);
        await client.register();
        const created = await client.post(directory.newOrder, { identifiers: [{ type: 'ip', value: '127.2.0.1' }] });
        const orderUrl = header(created, 'location')!;
        const order = JSON.parse(created.body) as { authorizations: string[]; finalize: string };
        const authz = JSON.parse((await client.post(order.authorizations[0]!, undefined)).body) as { challenges: { type: string; url: string; token: string }[] };
        const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
        challenges.answers.set(challenge.token, `${challenge.token}.${client.key.thumbprint}`);
        await client.post(challenge.url, {});
        let status = 'pending';
        for (let i = 0; status === 'pending' && i < 100; i++) {
          await sleep(30);
          status = (JSON.parse((await client.post(order.authorizations[0]!, undefined)).body) as { status: string }).status;
        }
        expect(status).toBe('valid');

        // The log answers slowly; while it holds the precertificate, the database goes away, so the certificate cannot be recorded.
        log.faults.latencyMs = 1500;
        const submitted = log.requests['add-pre-chain'] ?? 0;
        const signer = await generateSoftwareSigner('P-256');
        const csr = await buildCsr({ signer, identifiers: [{ type: 'ip', value: '127.2.0.1' }] });
        const finalized = client.post(order.finalize, { csr: b64u(csr) }).catch((err: unknown) => err);
        while ((log.requests['add-pre-chain'] ?? 0) === submitted) await sleep(10);
        proxy.setMode('refuse');
        await sleep(2500);
        proxy.setMode('forward');
        log.faults.latencyMs = 0;
        await finalized;

        // The order still reads, `processing` (recovery's to finish) or `invalid` with the 503 problem; its record is in flight.
        const after = JSON.parse((await client.post(orderUrl, undefined)).body) as { status: string; error?: { status: number } };
        expect(['processing', 'invalid']).toContain(after.status);
        const orderId = orderUrl.slice(orderUrl.lastIndexOf('/') + 1);
        const records = (await inFlight(database)).filter((r) => r.order_id === orderId);
        expect(records.map((r) => r.state)).toEqual(['precertificate']);
        if (after.status === 'processing') expect(records[0]!.order_status).toBe('processing');
        else expect(after.error?.status).toBe(503);
        // A new order issues at once.
        expect(await client.issue('127.2.0.2', challenges)).toContain('-----BEGIN CERTIFICATE-----');
        expect(await server.stop()).toBe(0);
      } finally {
        if (server?.child.exitCode === null) await server.stop('SIGKILL');
        await log.close();
        await drop();
      }
    });

    it('refuses to start while the database is down or hung, naming the database; starts once it is back, and stops while it hangs', { timeout: 40_000 }, async () => {
      const { proxy, env, drop } = await setUp();
      try {
        for (const mode of ['refuse', 'blackhole'] as const) {
          proxy.setMode(mode);
          const run = await cliAsync(['serve'], env);
          expect(run.status, run.stdout + run.stderr).toBe(1);
          expect(run.ms).toBeLessThan(20_000);
          expect(run.stderr).toMatch(new RegExp(`^certwright: cannot reach the database ${pg ? 'postgres' : 'mysql'}://\\S+: .+; check CERTWRIGHT_DATABASE_URL \\(or databaseUrl\\) and that the database server is up`));
          expect(run.stderr).not.toMatch(/retry later/);
        }
        proxy.setMode('forward');
        const server = await startServe(env);
        // SIGTERM while the database hangs: the server still stops, within a bound.
        proxy.setMode('blackhole');
        await probe(`http://${env.CERTWRIGHT_STATUS_LISTEN}`, '/readyz');
        const stopping = performance.now();
        const code = await Promise.race([server.stop(), sleep(15_000).then(() => 'hung')]);
        if (code === 'hung') await server.stop('SIGKILL');
        expect(code).toBe(0);
        expect(performance.now() - stopping).toBeLessThan(5000);
      } finally {
        await drop();
      }
    });
  });
}
