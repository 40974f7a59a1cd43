/**
 * Certificate Transparency through the ACME engine: a certificate obtained
 * over ACME from an issuance engine with an SCT collector carries SCTs from
 * two in-process RFC 6962 logs, and OpenSSL (`s_client -ct`) validates them
 * against a CT log list file while talking TLS to a server using the
 * certificate. When no log answers, the order becomes invalid with
 * `serverInternal` and the precertificate stays recorded.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuerSet, MemoryStore, createIssuanceEngine, cryptoRandom, defaultProfiles, systemClock, toPem } from '@certwright/core';
import type { Issuer } from '@certwright/core';
import { createSctCollector, decodeSctList, sctListFromCertificate } from '@certwright/ct';
import type { SctCollectorOptions } from '@certwright/ct';
import { startTestLog } from '@certwright/ct/testing';
import type { TestLog } from '@certwright/ct/testing';
import { TestClient, dns, jsonBody, makeCa, makeCsr } from '../packages/acme/test/engine/helpers.js';

const clock = systemClock();

/** An ACME CA whose issuance engine collects SCTs with `ct` (or none), on the engine tests' hierarchy. */
async function acmeCaWith(ct: SctCollectorOptions | undefined) {
  const probe = await makeCa();
  const store = new MemoryStore();
  const issuance = createIssuanceEngine({
    store,
    issuers: new IssuerSet([probe.issuer]),
    profiles: defaultProfiles(),
    clock,
    random: cryptoRandom(),
    ...(ct ? { ct: createSctCollector(ct) } : {}),
  });
  const ca = await makeCa({ issuance, clock }, store);
  return { ca, store, issuer: probe.issuer as Issuer, root: probe.root as Issuer };
}

function openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end();
  });
}

describe('CT through the ACME engine, checked by OpenSSL', () => {
  const logs: TestLog[] = [];
  let dir: string;
  beforeAll(async () => {
    logs.push(await startTestLog({ operator: 'Operator One', name: 'one' }), await startTestLog({ operator: 'Operator Two', name: 'two' }));
    dir = await mkdtemp(join(tmpdir(), 'certwright-ct-'));
  });
  afterAll(async () => {
    await Promise.all(logs.map((l) => l.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a certificate with two SCTs that openssl s_client -ct reports valid', async () => {
    const { ca, issuer, root } = await acmeCaWith({ logs: logs.map((l) => l.config()), required: 2, staggerMs: 0, retries: 1, clock });
    const client = new TestClient(ca.server);
    const name = 'ct-acme.example';
    const { certDer, certKey, order } = await client.issue(ca, [dns(name)]);
    expect(order['status']).toBe('valid');
    const scts = decodeSctList(sctListFromCertificate(certDer)!);
    expect(scts.map((s) => Buffer.from(s.logId).toString('hex')).sort()).toEqual(logs.map((l) => Buffer.from(l.logId).toString('hex')).sort());

    // The CT log list OpenSSL reads (CTLOG_STORE_load_file): enabled_logs, then one section per log.
    const ctlog = join(dir, 'ct_log_list.cnf');
    await writeFile(
      ctlog,
      [`enabled_logs = ${logs.map((l) => l.name).join(',')}`, ...logs.flatMap((l) => ['', `[${l.name}]`, `description = certwright test log ${l.name}`, `key = ${Buffer.from(l.publicKeyDer).toString('base64')}`]), ''].join('\n'),
    );
    const rootPem = join(dir, 'root.pem');
    await writeFile(rootPem, toPem(root.certificate, 'CERTIFICATE'));

    const server = createTlsServer({ key: certKey.export({ type: 'pkcs8', format: 'pem' }), cert: toPem(certDer, 'CERTIFICATE') + toPem(issuer.certificate, 'CERTIFICATE') }, (socket) => socket.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      // OpenSSL judges SCT timestamps against the TLS session time in whole seconds
      // (ssl_validate_ct), so an SCT minted 6 ms into the current second counts as
      // "from the future": connect only once the second after the newest SCT has begun.
      const wait = Math.max(...scts.map((s) => s.timestamp)) + 1000 - Date.now();
      if (wait > 0) await sleep(wait);
      const out = await openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', rootPem, '-ct', '-ctlogfile', ctlog]);
      expect(out.stdout).toContain('SCTs present (2)');
      const statuses = [...out.stdout.matchAll(/^SCT validation status: (.+)$/gm)].map((m) => m[1]);
      expect(statuses).toEqual(['valid', 'valid']);
      expect(out.stdout).toMatch(/Verify return code: 0 \(ok\)/);
      for (const l of logs) expect(out.stdout).toContain(`certwright test log ${l.name}`);

      // Control: with one log's key replaced by another key, OpenSSL no longer validates its SCT.
      const wrong = join(dir, 'wrong.cnf');
      await writeFile(
        wrong,
        ['enabled_logs = one', '', '[one]', 'description = not the real key', `key = ${Buffer.from(logs[1]!.publicKeyDer).toString('base64')}`, ''].join('\n'),
      );
      const control = await openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', rootPem, '-ct', '-ctlogfile', wrong]);
      const controlStatuses = [...control.stdout.matchAll(/^SCT validation status: (.+)$/gm)].map((m) => m[1]);
      expect(controlStatuses.sort()).toEqual(['unknown log', 'valid']);
    } finally {
      server.close();
    }
  });

  it('marks the order invalid with serverInternal when no log answers, keeping the precertificate revocable', async () => {
    const down = await Promise.all([startTestLog({ operator: 'A' }), startTestLog({ operator: 'B' })]);
    const config = down.map((l) => l.config());
    await Promise.all(down.map((l) => l.close()));
    const { ca, store } = await acmeCaWith({ logs: config, required: 2, staggerMs: 0, retries: 0, totalTimeoutMs: 5000, clock });
    const client = new TestClient(ca.server);
    const identifiers = [dns('ct-down.example')];
    const { url, order } = await client.readyOrder(ca, identifiers);
    const { csr } = await makeCsr(identifiers);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status).toBe(200);
    await ca.server.drain();
    const done = jsonBody(await client.post(url, ''));
    expect(done['status']).toBe('invalid');
    const error = done['error'] as { type: string; detail: string };
    expect(error.type).toBe('urn:ietf:params:acme:error:serverInternal');
    expect(error.detail).toMatch(/^unable to obtain the required SCTs: 2 from distinct operators needed, 0 obtained; /);
    const records = await store.listCertificatesByState(['precertificate'], { updatedBefore: new Date('2100-01-01T00:00:00Z'), limit: 5 });
    expect(records).toHaveLength(1);
    expect(await store.revoke(records[0]!.serial, 0, clock.now())).toBeDefined();
  });

  it('without a collector, issues over ACME with no precertificate and no log', async () => {
    const { ca, store } = await acmeCaWith(undefined);
    const before = logs.map((l) => l.entries.length);
    const { certDer } = await new TestClient(ca.server).issue(ca, [dns('no-ct.example')]);
    expect(sctListFromCertificate(certDer)).toBeUndefined();
    expect(await store.listCertificatesByState(['precertificate'], { updatedBefore: new Date('2100-01-01T00:00:00Z'), limit: 5 })).toEqual([]);
    expect(logs.map((l) => l.entries.length)).toEqual(before);
  });
});
