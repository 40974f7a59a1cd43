import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as pkijs from 'pkijs';
import { EXTENSION_OIDS, FakeClock, decodeTbs, isCertwrightError, memoryLogger, splitSigned, systemClock } from '@certwright/core';
import type { MemoryStore } from '@certwright/core';
import {
  createSctCollector,
  decodeSctList,
  parseCtLogKey,
  precertEntry,
  sctListFromCertificate,
  verifySct,
  x509Entry,
} from '../src/index.js';
import type { SctCollectorOptions } from '../src/index.js';
import { startTestLog } from '../src/testing/index.js';
import type { TestLog, TestLogOptions } from '../src/testing/index.js';
import { engineWith, hex, hierarchy, issueFor } from './helpers.js';

const clock = systemClock();
const open: TestLog[] = [];
async function log(options: TestLogOptions = {}): Promise<TestLog> {
  const l = await startTestLog(options);
  open.push(l);
  return l;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

/** Fast settings for tests; each test overrides what it exercises. */
function collector(logs: TestLog[], options: Partial<SctCollectorOptions> = {}) {
  return createSctCollector({ logs: logs.map((l) => l.config()), required: 2, staggerMs: 0, perLogTimeoutMs: 2000, retries: 0, backoffMs: 10, totalTimeoutMs: 5000, clock, ...options });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(isCertwrightError(err, 'serverInternal')).toBe(true);
  return err as Error;
}

async function precertificateRecords(store: MemoryStore) {
  return store.listCertificatesByState(['precertificate'], { updatedBefore: new Date('2100-01-01T00:00:00Z'), limit: 10 });
}

describe('issuance through the pipeline with two test logs', () => {
  beforeAll(() => {
    pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: globalThis.crypto }));
  });

  it('embeds two SCTs that verify here and with pkijs, and each log holds the precertificate entry', async () => {
    const a = await log({ operator: 'Operator A' });
    const b = await log({ operator: 'Operator B' });
    const ct = collector([a, b]);
    const { engine, h, store } = await engineWith(ct);
    const issued = await issueFor(engine, ['ct.example', 'www.ct.example']);

    const scts = decodeSctList(sctListFromCertificate(issued.certificateDer)!);
    expect(scts.map((s) => hex(s.logId)).sort()).toEqual([hex(a.logId), hex(b.logId)].sort());
    const [record] = await store.listCertificatesByState(['issued'], { updatedBefore: new Date('2100-01-01T00:00:00Z'), limit: 1 });
    const pre = record!.precertificateDer!;
    for (const sct of scts) {
      const l = hex(sct.logId) === hex(a.logId) ? a : b;
      expect(verifySct(sct, parseCtLogKey(l.publicKeyPem), precertEntry(pre, h.intermediate.spki), { now: clock.now() })).toEqual({ ok: true });
      expect(l.entries).toHaveLength(1);
      expect(l.entries[0]!.type).toBe('precert');
      expect(hex(l.entries[0]!.chain[0]!)).toBe(hex(pre));
    }

    // Independent verification: pkijs rebuilds the precertificate TBS from the final certificate.
    const cert = pkijs.Certificate.fromBER(issued.certificateDer);
    const issuerCert = pkijs.Certificate.fromBER(h.intermediate.certificate);
    const logs = [a, b].map((l) => ({ log_id: Buffer.from(l.logId).toString('base64'), key: Buffer.from(l.publicKeyDer).toString('base64') }));
    expect(await pkijs.verifySCTsForCertificate(cert, issuerCert, logs)).toEqual([true, true]);
    // …and refuses them against a different issuer key.
    const rootCert = pkijs.Certificate.fromBER(h.root.certificate);
    expect(await pkijs.verifySCTsForCertificate(cert, rootCert, logs)).toEqual([false, false]);
  });

  it('stops as soon as the policy is met: a third, staggered log is never contacted', async () => {
    const a = await log({ operator: 'A' });
    const b = await log({ operator: 'B' });
    const c = await log({ operator: 'C' });
    const ct = collector([a, b, c], { staggerMs: 1000 });
    const { engine } = await engineWith(ct);
    const issued = await issueFor(engine, ['stop.example']);
    expect(decodeSctList(sctListFromCertificate(issued.certificateDer)!)).toHaveLength(2);
    expect(c.requests['add-pre-chain']).toBeUndefined();
  });

  it('counts one SCT per operator when distinctOperators (the default)', async () => {
    const a1 = await log({ operator: 'A', name: 'a1' });
    const a2 = await log({ operator: 'A', name: 'a2' });
    const b = await log({ operator: 'B', name: 'b' });
    const { engine } = await engineWith(collector([a1, a2, b]));
    const issued = await issueFor(engine, ['distinct.example']);
    const ids = decodeSctList(sctListFromCertificate(issued.certificateDer)!).map((s) => hex(s.logId));
    expect(ids).toHaveLength(2);
    expect(ids).toContain(hex(b.logId));
    expect(ids.filter((id) => id === hex(a1.logId) || id === hex(a2.logId))).toHaveLength(1);

    // Without distinct operators, two logs of one operator suffice.
    const { engine: e2 } = await engineWith(collector([a1, a2], { distinctOperators: false }));
    const two = await issueFor(e2, ['same-op.example']);
    expect(decodeSctList(sctListFromCertificate(two.certificateDer)!).map((s) => hex(s.logId)).sort()).toEqual([hex(a1.logId), hex(a2.logId)].sort());
  });

  it('starts the next log at once when one fails, without waiting out the stagger', async () => {
    const refusing = await log({ operator: 'A', faults: { refuse: true } });
    const good = await log({ operator: 'B' });
    const { engine } = await engineWith(collector([refusing, good], { required: 1, staggerMs: 20_000, totalTimeoutMs: 10_000 }));
    const started = performance.now();
    const issued = await issueFor(engine, ['early.example']);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(decodeSctList(sctListFromCertificate(issued.certificateDer)!).map((s) => hex(s.logId))).toEqual([hex(good.logId)]);
    expect(refusing.requests['add-pre-chain']).toBe(1);
  });
});

describe('faults', () => {
  it('one log down: a 1-of-2 policy still succeeds', async () => {
    const down = await log({ operator: 'A' });
    const up = await log({ operator: 'B' });
    const ct = collector([down, up], { required: 1, retries: 1 });
    await down.close();
    const { engine } = await engineWith(ct);
    const issued = await issueFor(engine, ['one-down.example']);
    expect(decodeSctList(sctListFromCertificate(issued.certificateDer)!).map((s) => hex(s.logId))).toEqual([hex(up.logId)]);
  });

  it('retries HTTP 500 with back-off and succeeds; gives up after the configured retries', async () => {
    const flaky = await log({ operator: 'A', faults: { failNext: 2 } });
    const { engine } = await engineWith(collector([flaky], { required: 1, retries: 2, backoffMs: 20 }));
    await issueFor(engine, ['retry.example']);
    expect(flaky.requests['add-pre-chain']).toBe(3);

    flaky.faults.failNext = 5;
    const { engine: e2 } = await engineWith(collector([flaky], { required: 1, retries: 1, backoffMs: 20 }));
    const err = await failure(issueFor(e2, ['retry2.example']));
    expect(err.message).toContain(`log "${flaky.name}" (A): add-pre-chain: HTTP 500 (2 attempts)`);
  });

  it('does not retry a refusal (HTTP 400)', async () => {
    const refusing = await log({ operator: 'A', faults: { refuse: true } });
    const { engine } = await engineWith(collector([refusing], { required: 1, retries: 3 }));
    const err = await failure(issueFor(engine, ['refused.example']));
    expect(err.message).toContain('add-pre-chain: HTTP 400 (1 attempt)');
    expect(refusing.requests['add-pre-chain']).toBe(1);
  });

  it('all logs unreachable: fails fast with serverInternal, the precertificate stays recorded and can be revoked', async () => {
    const a = await log({ operator: 'A' });
    const b = await log({ operator: 'B' });
    const ct = collector([a, b], { retries: 1, backoffMs: 20 });
    await Promise.all([a.close(), b.close()]);
    const { engine, store } = await engineWith(ct);
    const err = await failure(issueFor(engine, ['all-down.example']));
    expect(err.message).toMatch(/^unable to obtain the required SCTs: 2 from distinct operators needed, 0 obtained; /);
    expect(err.message).toContain(`log "${a.name}" (A): add-pre-chain:`);
    expect(err.message).toMatch(new RegExp(`log "${b.name}" \\(B\\): (add-pre-chain: fetch failed|abandoned, the policy could no longer be met)`));
    const records = await precertificateRecords(store);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(decodeTbs(splitSigned(record.precertificateDer!).tbs).extensions.some((e) => e.oid === EXTENSION_OIDS.ctPrecertificatePoison)).toBe(true);
    expect(record.certificateDer).toBeUndefined();
    const revocation = await store.revoke(record.serial, 4, clock.now());
    expect(revocation?.serial).toBe(record.serial);
  });

  it('all logs hanging: fails within the total timeout (plus slack), naming the timeout', async () => {
    const a = await log({ operator: 'A', faults: { latencyMs: 20_000 } });
    const b = await log({ operator: 'B', faults: { latencyMs: 20_000 } });
    const totalTimeoutMs = 800;
    const { engine, store } = await engineWith(collector([a, b], { perLogTimeoutMs: 300, retries: 5, backoffMs: 50, totalTimeoutMs }));
    const identifiers = [{ type: 'dns' as const, value: 'hang.example' }];
    const { buildCsr, generateSoftwareSigner } = await import('@certwright/core');
    const prepared = await engine.prepare({ csrDer: await buildCsr({ signer: await generateSoftwareSigner('P-256'), identifiers }), identifiers });
    const started = performance.now();
    const err = await failure(engine.issue(prepared));
    const elapsed = performance.now() - started;
    expect(err.message).toContain(`0 obtained within ${totalTimeoutMs} ms`);
    expect(err.message).toContain(`log "${a.name}" (A): no SCT within the total time of ${totalTimeoutMs} ms (last failure: add-pre-chain: no answer within 300 ms)`);
    expect(elapsed).toBeGreaterThanOrEqual(totalTimeoutMs - 50);
    expect(elapsed).toBeLessThan(totalTimeoutMs + 5000);
    expect(await precertificateRecords(store)).toHaveLength(1);
  });

  it('a log returning bad signatures: its SCT is refused and two good logs still meet the policy', async () => {
    const bad = await log({ operator: 'Bad', faults: { badSignature: true } });
    const g1 = await log({ operator: 'G1' });
    const g2 = await log({ operator: 'G2' });
    const logger = memoryLogger();
    const { engine } = await engineWith(collector([bad, g1, g2], { logger }));
    const issued = await issueFor(engine, ['bad-sig.example']);
    const ids = decodeSctList(sctListFromCertificate(issued.certificateDer)!).map((s) => hex(s.logId));
    expect(ids.sort()).toEqual([hex(g1.logId), hex(g2.logId)].sort());
    expect(logger.events.find((e) => e.event === 'ct.sct_rejected')).toMatchObject({ log: bad.name, reason: 'the signature does not verify with the log key' });
  });

  it('a log returning bad signatures: the policy fails when the good logs are not enough', async () => {
    const bad = await log({ operator: 'Bad', faults: { badSignature: true } });
    const good = await log({ operator: 'Good' });
    const { engine } = await engineWith(collector([bad, good]));
    const err = await failure(issueFor(engine, ['bad-sig2.example']));
    // With the bad log out, only one operator is left: the collector fails without waiting for it.
    expect(err.message).toMatch(/^unable to obtain the required SCTs: 2 from distinct operators needed, [01] obtained; /);
    expect(err.message).toContain(`log "${bad.name}" (Bad): SCT rejected: the signature does not verify with the log key`);
  });

  it('refuses an SCT stamped in the future (the log clock ten minutes ahead)', async () => {
    const ahead = new FakeClock(new Date(clock.now().getTime() + 10 * 60_000));
    const skewed = await log({ operator: 'A', clock: ahead });
    const { engine } = await engineWith(collector([skewed], { required: 1 }));
    const err = await failure(issueFor(engine, ['future.example']));
    expect(err.message).toMatch(/SCT rejected: the SCT timestamp .* is in the future/);
  });

  it('skips a temporally sharded log whose window excludes the certificate', async () => {
    const a = await log({ operator: 'A' });
    const b = await log({ operator: 'B' });
    const until = new Date(clock.now().getTime() + 86400_000);
    const ct = createSctCollector({ logs: [{ ...a.config(), acceptedUntil: until }, b.config()], required: 2, staggerMs: 0, retries: 0, clock });
    const { engine } = await engineWith(ct);
    const err = await failure(issueFor(engine, ['shard.example']));
    expect(err.message).toContain(`log "${a.name}" (A): does not accept certificates expiring at`);
    expect(a.requests['add-pre-chain']).toBeUndefined();
  });
});

describe('final certificate submission and configuration', () => {
  it('submitFinal sends add-chain to every log, verifies the SCTs, and reports a down log without throwing', async () => {
    const a = await log({ operator: 'A' });
    const b = await log({ operator: 'B' });
    const ct = collector([a, b]);
    const { engine, h } = await engineWith(ct);
    const issued = await issueFor(engine, ['final.example']);
    const results = await ct.submitFinal(issued.certificateDer, h.intermediate);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    for (const [i, l] of [a, b].entries()) {
      const r = results[i]!;
      if (r.ok) expect(verifySct(r.sct, parseCtLogKey(l.publicKeyDer), x509Entry(issued.certificateDer))).toEqual({ ok: true });
      expect(l.entries.map((e) => e.type)).toEqual(['precert', 'x509']);
    }
    await b.close();
    const again = await ct.submitFinal(issued.certificateDer, h.intermediate);
    expect(again[0]!.ok).toBe(true);
    expect(again[1]).toMatchObject({ ok: false, log: b.name });
    const garbage = await ct.submitFinal(Uint8Array.of(1, 2), h.intermediate);
    expect(garbage.every((r) => !r.ok && r.reason.startsWith('the certificate cannot be read'))).toBe(true);
  });

  it('rejects a policy the logs cannot meet and bad timings at construction', async () => {
    const a = await log({ operator: 'A' });
    const a2 = await log({ operator: 'A' });
    const make = (o: Partial<SctCollectorOptions>) => () => collector([a, a2], o);
    const check = (run: () => unknown, rule: RegExp) => {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(isCertwrightError(error, 'serverInternal')).toBe(true);
      expect((error as Error).message).toMatch(rule);
    };
    check(make({ required: 2 }), /required is 2 but the logs offer only 1 distinct operators/);
    check(make({ required: 0 }), /required must be an integer of at least 1, got 0/);
    check(make({ staggerMs: -1 }), /staggerMs must be a non-negative number, got -1/);
    check(make({ retries: 1.5 }), /retries must be a non-negative integer, got 1.5/);
    expect(collector([a, a2], { required: 2, distinctOperators: false }).logs).toHaveLength(2);
  });
});

describe('CT off', () => {
  it('makes no precertificate and needs no log', async () => {
    const { engine, store } = await engineWith(undefined);
    const issued = await issueFor(engine, ['no-ct.example']);
    expect(await precertificateRecords(store)).toEqual([]);
    const record = await store.getCertificate(issued.serial);
    expect(record?.state).toBe('issued');
    expect(record?.precertificateDer).toBeUndefined();
    const oids = decodeTbs(splitSigned(issued.certificateDer).tbs).extensions.map((e) => e.oid);
    expect(oids).not.toContain(EXTENSION_OIDS.ctPrecertificatePoison);
    expect(oids).not.toContain(EXTENSION_OIDS.ctSctList);
    expect(sctListFromCertificate(issued.certificateDer)).toBeUndefined();
    await hierarchy();
  });
});
