import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startChallengeServer, type ChallengeServer } from '../../../bench/src/acme-load/challenge-server.js';
import { fetchDirectory } from '../../../bench/src/acme-load/client.js';
import { keepAliveAgent } from '../../../bench/src/acme-load/http.js';
import { AckedClient, AUTHZ_RANK, Ledger, ORDER_RANK, type Directory } from './acked-client.js';
import { loopbackServeEnv, startServe, type ServeProcess } from './processes.js';

/*
 * `certwright serve` killed with SIGKILL while 16 clients issue certificates
 * at once, then restarted on the same data directory, three times over.
 * Whatever the server acknowledged before the kill (accounts, orders at
 * their last seen status, authorizations, certificates and their bytes)
 * must be there afterwards; start-up recovery must report and close every
 * issuance and order the kill interrupted (nothing left `reserved`,
 * `planned` or `processing`); no serial may appear twice; old accounts go on
 * issuing, and a nonce from before the kill is refused as badNonce with a
 * fresh Replay-Nonce (RFC 8555 §6.5).
 */

const CLIENTS = 16;
const ROUNDS = 3;

/** The part of better-sqlite3 read here (the example has no type package of its own for it). */
interface ReadOnlyDatabase {
  prepare(sql: string): { all(): unknown[]; get(): unknown };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string, options: { readonly: boolean; fileMustExist: boolean }) => ReadOnlyDatabase;

interface DbSnapshot {
  /** Certificate rows by state. */
  certificates: Record<string, number>;
  processingOrders: number;
  processingChallenges: number;
  /** Serials appearing in more than one row, and issued certificates carrying the same DER serial. */
  duplicateSerials: string[];
}

function snapshot(path: string): DbSnapshot {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const certificates: Record<string, number> = {};
    for (const row of db.prepare('select state, count(*) as n from certificates group by state').all() as { state: string; n: number }[]) certificates[row.state] = row.n;
    const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    const duplicates = (db.prepare('select serial from certificates group by serial having count(*) > 1').all() as { serial: string }[]).map((r) => r.serial);
    const derSerials = new Map<string, number>();
    for (const row of db.prepare("select certificate_der as der from certificates where state = 'issued'").all() as { der: Buffer }[]) {
      const serial = new X509Certificate(row.der).serialNumber;
      derSerials.set(serial, (derSerials.get(serial) ?? 0) + 1);
    }
    for (const [serial, n] of derSerials) if (n > 1) duplicates.push(serial);
    return {
      certificates,
      processingOrders: count("select count(*) as n from orders where status = 'processing'"),
      processingChallenges: count("select count(*) as n from challenges where status = 'processing'"),
      duplicateSerials: duplicates,
    };
  } finally {
    db.close();
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

/** Runs `task` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

describe('certwright serve killed under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-crash-'));
  const dataDir = join(dir, 'data');
  const dbPath = join(dataDir, 'certwright.sqlite');
  let server: ServeProcess | undefined;
  let challenges: ChallengeServer | undefined;

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await challenges?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing it acknowledged, and recovery leaves no interrupted issuance behind', { timeout: 180_000 }, async () => {
    challenges = await startChallengeServer();
    const { env, statusUrl } = await loopbackServeEnv(dataDir, challenges.port, '127.0.0.0/8');
    server = await startServe(env);
    const rootPem = readFileSync(server.rootPath, 'utf8');
    const intermediatePath = join(dataDir, 'intermediate.pem');
    let agent = keepAliveAgent(rootPem, CLIENTS * 2);
    const directory: Directory = await fetchDirectory(agent, server.directoryUrl);
    const ledger = new Ledger();
    let nextIp = 1;
    const ip = (): string => {
      const k = nextIp++;
      return `127.1.${k >> 8}.${k & 255}`;
    };
    const newClient = (): AckedClient => new AckedClient(() => agent, directory, ledger);
    const checkedOcsp = new Set<string>();

    for (let round = 1; round <= ROUNDS; round++) {
      // Load: half old accounts (from earlier rounds), the rest new ones, each issuing until the kill.
      const old = [...ledger.accounts.values()].slice(0, CLIENTS / 2);
      const clients = [...old, ...Array.from({ length: CLIENTS - old.length }, newClient)];
      let killed = false;
      const errorsBeforeKill: string[] = [];
      const workers = clients.map(async (client) => {
        try {
          if (client.url === undefined) await client.register();
          while (!killed) await client.issue(ip(), challenges!);
        } catch (err) {
          if (!killed) errorsBeforeKill.push(String(err));
        }
      });
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000));
      killed = true;
      await server.stop('SIGKILL');
      await Promise.all(workers);
      agent.destroy();
      expect(errorsBeforeKill).toEqual([]);

      // What the kill left: the records start-up recovery must close.
      const left = snapshot(dbPath);
      const interrupted = (left.certificates['reserved'] ?? 0) + (left.certificates['planned'] ?? 0) + (left.certificates['precertificate'] ?? 0);
      const staleNonces = clients.filter((c) => c.url !== undefined && c.nonce !== undefined).map((c) => ({ client: c, nonce: c.nonce! }));

      server = await startServe(env);
      agent = keepAliveAgent(rootPem, CLIENTS * 2);
      const recovered = /recovered at start:\s+(\d+) interrupted issuances, (\d+) processing orders, (\d+) interrupted validations/.exec(server.stdout());
      expect(recovered, server.stdout()).not.toBeNull();
      expect({ round, issuances: Number(recovered![1]), orders: Number(recovered![2]), validations: Number(recovered![3]) }).toEqual({
        round,
        issuances: interrupted,
        orders: left.processingOrders,
        validations: left.processingChallenges,
      });
      const after = snapshot(dbPath);
      expect(after.duplicateSerials).toEqual([]);
      expect({ reserved: after.certificates['reserved'] ?? 0, planned: after.certificates['planned'] ?? 0, precertificate: after.certificates['precertificate'] ?? 0 }).toEqual({ reserved: 0, planned: 0, precertificate: 0 });
      expect(after.processingOrders).toBe(0);
      // Validations the kill interrupted run again (the responder still holds their answers) and end.
      await vi.waitFor(() => expect(snapshot(dbPath).processingChallenges).toBe(0), { timeout: 10_000, interval: 100 });

      // A nonce from before the kill: badNonce with a fresh Replay-Nonce, which then works.
      for (const { client, nonce } of staleNonces.slice(0, 4)) {
        const res = await client.postOnce(client.url!, undefined, true, nonce);
        expect(res.status).toBe(400);
        expect(JSON.parse(res.body.toString('utf8')).type).toBe('urn:ietf:params:acme:error:badNonce');
        expect(client.nonce).toMatch(/^[A-Za-z0-9_-]+$/);
        expect((await client.postOnce(client.url!, undefined)).status).toBe(200);
      }

      // Everything acknowledged is served as it was (or, for an order, further along).
      const byClient = new Map<AckedClient, (() => Promise<void>)[]>();
      const check = (client: AckedClient, step: () => Promise<void>): void => {
        byClient.set(client, [...(byClient.get(client) ?? []), step]);
      };
      for (const [url, client] of ledger.accounts) {
        check(client, async () => {
          const account = JSON.parse((await client.post(url, undefined)).body.toString('utf8')) as { status: string };
          expect(account.status, url).toBe('valid');
        });
      }
      for (const [url, order] of ledger.orders) {
        check(order.account, async () => {
          const now = JSON.parse((await order.account.post(url, undefined)).body.toString('utf8')) as { status: string; certificate?: string; error?: { type: string; detail: string } };
          if (now.status === 'invalid') {
            // Recovery's answer to an issuance it could not finish (only for an order not yet acknowledged valid).
            expect(order.status, url).not.toBe('valid');
            expect(now.error, url).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal', detail: expect.stringContaining('interrupted') });
          } else {
            expect(ORDER_RANK[now.status]!, `${url} was ${order.status}, now ${now.status}`).toBeGreaterThanOrEqual(ORDER_RANK[order.status]!);
          }
          if (order.certificate !== undefined) expect(now.certificate).toBe(order.certificate);
          order.status = now.status;
        });
      }
      for (const [url, authz] of ledger.authorizations) {
        check(authz.account, async () => {
          const now = JSON.parse((await authz.account.post(url, undefined)).body.toString('utf8')) as { status: string; challenges: { status: string }[] };
          expect(AUTHZ_RANK[now.status]!, `${url} was ${authz.status}, now ${now.status}`).toBeGreaterThanOrEqual(AUTHZ_RANK[authz.status]!);
          // RFC 8555 §7.1.6: a valid challenge makes its authorization valid, even when the kill fell between the two writes.
          if (now.challenges.some((c) => c.status === 'valid')) expect(now.status, url).toBe('valid');
        });
      }
      for (const [url, cert] of ledger.certificates) {
        check(cert.account, async () => {
          expect((await cert.account.post(url, undefined)).body.toString('utf8'), url).toBe(cert.pem);
        });
      }
      await Promise.all([...byClient.values()].map(async (steps) => {
        for (const step of steps) await step();
      }));

      // Each certificate verifies against the root and intermediate, and OCSP on the status listener says good.
      const fresh = [...ledger.certificates.entries()].filter(([url]) => !checkedOcsp.has(url));
      const files = fresh.map(([url, cert], i) => {
        const file = join(dir, `r${round}-${i}.pem`);
        writeFileSync(file, cert.pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)![0]);
        checkedOcsp.add(url);
        return file;
      });
      expect(files.length, `round ${round}: no certificate was issued before the kill`).toBeGreaterThan(0);
      const verified = spawnSync('openssl', ['verify', '-CAfile', server.rootPath, '-untrusted', intermediatePath, ...files], { encoding: 'utf8' });
      expect(verified.stdout.match(/: OK$/gm)?.length, verified.stdout + verified.stderr).toBe(files.length);
      await eachLimited(files, 4, async (file) => {
        const out = await run('openssl', ['ocsp', '-issuer', intermediatePath, '-cert', file, '-url', `${statusUrl}/ocsp/`, '-CAfile', server!.rootPath]);
        expect(out, file).toContain(`${file}: good`);
        expect(out, file).toContain('Response verify OK');
      });

      // Issuance goes on after the restart, for an account from before it.
      const survivor = clients.find((c) => c.url !== undefined)!;
      const certsBefore = ledger.certificates.size;
      await survivor.issue(ip(), challenges);
      expect(ledger.certificates.size).toBe(certsBefore + 1);
    }

    expect(await server.stop('SIGTERM')).toBe(0);
    const final = snapshot(dbPath);
    expect(final.duplicateSerials).toEqual([]);
    expect(final.certificates['issued']).toBeGreaterThanOrEqual(ledger.certificates.size);
  });
});
