import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { CertwrightError } from '../../src/errors.js';
import { createIssuanceEngine, type PipelineStep, type SctCollector } from '../../src/issuance/pipeline.js';
import { spkiSha256Hex } from '../../src/keys/spki.js';
import { memoryLogger } from '../../src/logger.js';
import { cryptoRandom, seededRandom } from '../../src/random.js';
import { MemoryStore } from '../../src/store/memory.js';
import { SoftwareSigner } from '../../src/signers/software.js';
import { verifySignature } from '../../src/signers/verify.js';
import { splitSigned } from '../../src/x509/certificate.js';
import { tbsEqualExceptPoisonAndScts } from '../../src/x509/ct.js';
import { decodeTbs } from '../../src/x509/tbs.js';
import { opensslDir } from './helpers.js';
import { csrFor, dns, profiles, testHierarchy } from './pipeline-fixtures.js';
import { IssuerSet } from '../../src/issuance/issuer.js';
import { createIntermediateCa } from '../../src/issuance/bootstrap.js';
import { createVerificationWorker, type VerificationWorker } from '../../src/signers/verification-worker.js';
import type { SignatureVerifier } from '../../src/signers/verify.js';
import type { Issuer } from '../../src/issuance/issuer.js';
import type { Linter } from '../../src/issuance/lint.js';

const START = '2026-03-01T12:00:00Z';

async function rejects(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CertwrightError);
    return err as CertwrightError;
  }
  throw new Error('expected a rejection');
}

describe('write-ahead issuance pipeline', () => {
  let clock: FakeClock;
  let hierarchy: { root: Issuer; intermediate: Issuer; issuers: IssuerSet };

  beforeAll(async () => {
    clock = new FakeClock(START);
    hierarchy = await testHierarchy(clock);
  });

  function engine(store = new MemoryStore(), extra: Partial<Parameters<typeof createIssuanceEngine>[0]> = {}) {
    const logger = memoryLogger();
    const e = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: cryptoRandom(), logger, ...extra });
    return { engine: e, store, logger };
  }

  it('issues a certificate that openssl verifies as a TLS server certificate, storing every step', async () => {
    const { store, logger } = engine();
    const steps: PipelineStep[] = [];
    const withSteps = createIssuanceEngine({
      store,
      issuers: hierarchy.issuers,
      profiles: profiles(),
      clock,
      random: cryptoRandom(),
      logger,
      onStep: (s) => {
        steps.push(s);
      },
    });
    const ids = [dns('a.example.com'), dns('b.example.com'), { type: 'ip' as const, value: '10.0.0.7' }];
    const csr = await csrFor(ids);
    const prepared = await withSteps.prepare({ csrDer: csr.der, identifiers: ids, accountId: 'acct1', orderId: 'order1' });
    const issued = await withSteps.issue(prepared);
    expect(steps).toEqual(['reserved', 'planned', 'signed', 'issued']);
    expect(issued.serial).toMatch(/^2c[0-9a-f]{32}$/);
    expect(issued.chain).toHaveLength(2);

    const record = await store.getCertificate(issued.serial);
    expect(record?.state).toBe('issued');
    expect(record?.orderId).toBe('order1');
    expect(record?.accountId).toBe('acct1');
    expect(record?.certificateDer).toEqual(issued.certificateDer);
    // The planned TBS is exactly what was signed.
    expect(record?.plannedTbs).toEqual(splitSigned(issued.certificateDer).tbs);
    expect(logger.events.some((ev) => ev.event === 'certificate.issued' && ev['serial'] === issued.serial)).toBe(true);

    const dir = opensslDir();
    try {
      dir.writeCert('root.pem', hierarchy.root.certificate);
      dir.writeCert('inter.pem', hierarchy.intermediate.certificate);
      dir.writeCert('leaf.pem', issued.certificateDer);
      const verify = dir.run(['verify', '-x509_strict', '-purpose', 'sslserver', '-attime', String(Date.parse(START) / 1000 + 60), '-CAfile', 'root.pem', '-untrusted', 'inter.pem', 'leaf.pem']);
      expect(verify.output).toContain('leaf.pem: OK');
      const text = dir.run(['x509', '-in', 'leaf.pem', '-noout', '-text']).output;
      expect(text).toContain('DNS:a.example.com, DNS:b.example.com, IP Address:10.0.0.7');
      expect(text).toContain('Subject: CN = a.example.com');
      expect(text).toMatch(/CA Issuers - URI:http:\/\/ca\.example\.test\//);
      expect(text).toMatch(/URI:http:\/\/crl\.example\.test\/[^/]+\/[0-7]\.crl/);
    } finally {
      dir.cleanup();
    }
  });

  it('never copies extensions requested in the CSR and takes validity from the profile', async () => {
    const { engine: e } = engine();
    const ids = [dns('www.example.org')];
    const csr = await csrFor(ids);
    const issued = await e.issue(await e.prepare({ csrDer: csr.der, identifiers: ids }));
    const tbs = decodeTbs(splitSigned(issued.certificateDer).tbs);
    expect(tbs.notBefore.toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(tbs.notAfter.getTime() - tbs.notBefore.getTime()).toBe(90 * 86400_000 - 1000);
    expect(issued.notAfter).toEqual(tbs.notAfter);
  });

  it('refuses a CSR whose names differ from the order, naming them, and writes nothing', async () => {
    const { engine: e, store } = engine();
    const csr = await csrFor([dns('a.example.com'), dns('extra.example.com')]);
    const err = await rejects(e.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')] }));
    expect(err.code).toBe('badCSR');
    expect(err.detail).toContain('extra.example.com');
    expect(await store.listCertificatesByState(['reserved', 'planned', 'issued', 'abandoned'], { updatedBefore: new Date('2100-01-01'), limit: 10 })).toEqual([]);
  });

  it('refuses a CSR with a bad signature', async () => {
    const { engine: e } = engine();
    const csr = await csrFor([dns('a.example.com')]);
    const tampered = csr.der.slice();
    tampered[tampered.length - 5]! ^= 0xff;
    const err = await rejects(e.prepare({ csrDer: tampered, identifiers: [dns('a.example.com')] }));
    expect(err.code).toBe('badCSR');
  });

  it('refuses the account key as the certificate key', async () => {
    const { engine: e } = engine();
    const csr = await csrFor([dns('a.example.com')]);
    const err = await rejects(e.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')], accountKeySpki: csr.spki }));
    expect(err.code).toBe('badKey');
    expect(err.detail).toContain('sameAsAccountKey');
  });

  it('refuses a key from the blocked-keys table', async () => {
    const { engine: e, store } = engine();
    const csr = await csrFor([dns('a.example.com')]);
    await store.addBlockedKey({ spkiSha256: spkiSha256Hex(csr.spki), reason: 'keyCompromise', addedAt: clock.now() });
    const err = await rejects(e.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')] }));
    expect(err.code).toBe('badKey');
    expect(err.detail).toContain('blockedKey');
  });

  it('signs with the active issuer of the leaf key type, then of its family, whatever order the issuers were loaded in', async () => {
    const random = cryptoRandom();
    const { root } = hierarchy;
    const subject = (cn: string) => [{ type: 'CN' as const, value: cn }];
    const p256 = await createIntermediateCa({ root, subject: subject('P-256 CA'), keyType: 'P-256', validitySeconds: 86400 * 365, clock, random });
    const p384 = await createIntermediateCa({ root, subject: subject('P-384 CA'), keyType: 'P-384', validitySeconds: 86400 * 365, clock, random });
    const rsa = await createIntermediateCa({ root, subject: subject('RSA CA'), keyType: 'RSA-2048', validitySeconds: 86400 * 365, clock, random });
    const ids = [dns('a.example.com')];
    for (const loaded of [[p256, p384, rsa], [rsa, p384, p256]]) {
      const issuance = createIssuanceEngine({ store: new MemoryStore(), issuers: new IssuerSet(loaded), profiles: profiles(), clock, random });
      const issuerOf = async (keyType: 'P-256' | 'P-384' | 'RSA-2048') => (await issuance.issue(await issuance.prepare({ csrDer: (await csrFor(ids, keyType)).der, identifiers: ids }))).issuerId;
      expect(await issuerOf('P-384')).toBe(p384.id);
      expect(await issuerOf('P-256')).toBe(p256.id);
      expect(await issuerOf('RSA-2048')).toBe(rsa.id);
    }
    // Without an issuer of its own type, a P-384 leaf goes to the ECDSA one, an RSA leaf to the first in P-256, P-384 order.
    const ecOnly = createIssuanceEngine({ store: new MemoryStore(), issuers: new IssuerSet([p384, p256]), profiles: profiles(), clock, random });
    const rsaLeaf = await ecOnly.issue(await ecOnly.prepare({ csrDer: (await csrFor(ids, 'RSA-2048')).der, identifiers: ids }));
    expect(rsaLeaf.issuerId).toBe(p256.id);
    const rsaCaOnly = createIssuanceEngine({ store: new MemoryStore(), issuers: new IssuerSet([rsa]), profiles: profiles(), clock, random });
    expect((await rsaCaOnly.issue(await rsaCaOnly.prepare({ csrDer: (await csrFor(ids, 'P-384')).der, identifiers: ids }))).issuerId).toBe(rsa.id);
  });

  it('refuses an unknown profile and a key type the profile does not allow', async () => {
    const { engine: e } = engine();
    const csr = await csrFor([dns('a.example.com')]);
    expect((await rejects(e.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')], profile: 'nope' }))).code).toBe('invalidProfile');
    const ed = await csrFor([dns('a.example.com')], 'P-384');
    const narrow = createIssuanceEngine({
      store: new MemoryStore(),
      issuers: hierarchy.issuers,
      profiles: profiles().map((p) => (p.name === 'full' ? { ...p, allowedKeyTypes: ['P-256'] } : p)),
      clock,
      random: cryptoRandom(),
    });
    const err = await rejects(narrow.prepare({ csrDer: ed.der, identifiers: [dns('a.example.com')] }));
    expect(err.code).toBe('badCSR');
    expect(err.detail).toContain('P-384');
  });

  it('refuses requested validity beyond the profile', async () => {
    const { engine: e } = engine();
    const csr = await csrFor([dns('a.example.com')]);
    const prepared = await e.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')], notAfter: new Date('2027-03-01T00:00:00Z') });
    const err = await rejects(e.issue(prepared));
    expect(err.code).toBe('malformed');
    expect(err.detail).toContain('exceeds profile');
  });

  it('burns the serial and signs nothing when a lint fails', async () => {
    const failing: Linter = () => [{ lint: 'e_test_always_fails', message: 'refused for the test' }];
    const store = new MemoryStore();
    const steps: string[] = [];
    const withHook = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: cryptoRandom(), linters: [failing], onStep: (s) => void steps.push(s) });
    const csr = await csrFor([dns('a.example.com')]);
    const err = await rejects(withHook.issue(await withHook.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')] })));
    expect(err.code).toBe('serverInternal');
    expect(err.detail).toContain('e_test_always_fails');
    expect(steps).toEqual(['reserved']);
    const records = await store.listCertificatesByState(['abandoned'], { updatedBefore: new Date('2100-01-01'), limit: 10 });
    expect(records).toHaveLength(1);
    expect(records[0]?.certificateDer).toBeUndefined();
  });

  it('draws a new serial when the store reports a collision, and never reuses one', async () => {
    const store = new MemoryStore();
    // Two engines with the same seeded random source produce the same first serial.
    const a = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: seededRandom(42) });
    const b = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: seededRandom(42) });
    const csr = await csrFor([dns('a.example.com')]);
    const first = await a.issue(await a.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')] }));
    const second = await b.issue(await b.prepare({ csrDer: csr.der, identifiers: [dns('a.example.com')] }));
    expect(second.serial).not.toBe(first.serial);
  });

  it('with CT: stores the precertificate, then a final certificate whose TBS differs only by poison ↔ SCT list', async () => {
    const store = new MemoryStore();
    const seen: Uint8Array[] = [];
    const sctList = Uint8Array.from([0x00, 0x04, 0x00, 0x02, 0xab, 0xcd]);
    const ct: SctCollector = {
      collect: async (precert) => {
        seen.push(precert);
        const record = await store.getCertificate(Buffer.from(decodeTbs(splitSigned(precert).tbs).serial).toString('hex'));
        expect(record?.state).toBe('precertificate');
        return sctList;
      },
    };
    const steps: string[] = [];
    const e = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: cryptoRandom(), ct, onStep: (s) => void steps.push(s) });
    const csr = await csrFor([dns('ct.example.com')]);
    const issued = await e.issue(await e.prepare({ csrDer: csr.der, identifiers: [dns('ct.example.com')] }));
    expect(steps).toEqual(['reserved', 'planned', 'signed', 'precertificate', 'issued']);
    expect(seen).toHaveLength(1);
    const pre = splitSigned(seen[0]!).tbs;
    const fin = splitSigned(issued.certificateDer).tbs;
    expect(tbsEqualExceptPoisonAndScts(pre, fin)).toBe(true);
    const record = await store.getCertificate(issued.serial);
    expect(record?.precertificateDer).toEqual(seen[0]);
    expect(record?.certificateDer).toEqual(issued.certificateDer);
  });

  it('with CT failing: the precertificate stays recorded and revocable', async () => {
    const store = new MemoryStore();
    const ct: SctCollector = { collect: async () => Promise.reject(new CertwrightError('serverInternal', 'unable to obtain the required SCTs')) };
    const e = createIssuanceEngine({ store, issuers: hierarchy.issuers, profiles: profiles(), clock, random: cryptoRandom(), ct });
    const csr = await csrFor([dns('ct.example.com')]);
    const err = await rejects(e.issue(await e.prepare({ csrDer: csr.der, identifiers: [dns('ct.example.com')] })));
    expect(err.detail).toContain('SCTs');
    const [record] = await store.listCertificatesByState(['precertificate'], { updatedBefore: new Date('2100-01-01'), limit: 10 });
    expect(record?.precertificateDer).toBeDefined();
    expect(await store.revoke(record!.serial, 1, clock.now())).toMatchObject({ serial: record!.serial, reason: 1 });
  });

  it('recovers: reserved records are abandoned, planned ones are signed from the stored TBS', async () => {
    const store = new MemoryStore();
    let crashAt: PipelineStep | undefined;
    const e = createIssuanceEngine({
      store,
      issuers: hierarchy.issuers,
      profiles: profiles(),
      clock,
      random: cryptoRandom(),
      onStep: (s) => {
        if (s === crashAt) throw new Error(`simulated crash after ${s}`);
      },
    });
    const serials: Record<string, string> = {};
    for (const step of ['reserved', 'planned', 'signed'] as const) {
      crashAt = step;
      const csr = await csrFor([dns(`${step}.example.com`)]);
      await expect(e.issue(await e.prepare({ csrDer: csr.der, identifiers: [dns(`${step}.example.com`)] }))).rejects.toThrow('simulated crash');
      const [rec] = (await store.listCertificatesByState(['reserved', 'planned'], { updatedBefore: new Date('2100-01-01'), limit: 10 })).filter(
        (r) => r.identifiers[0]?.value === `${step}.example.com`,
      );
      serials[step] = rec!.serial;
    }
    crashAt = undefined;
    clock.advance(10 * 60_000);
    const outcomes = await e.recover({ updatedBefore: new Date(clock.now().getTime() - 60_000) });
    expect(new Map(outcomes.map((o) => [o.serial, o.action]))).toEqual(
      new Map([
        [serials['reserved']!, 'abandoned'],
        [serials['planned']!, 'issued'],
        [serials['signed']!, 'issued'],
      ]),
    );
    for (const step of ['planned', 'signed']) {
      const rec = await store.getCertificate(serials[step]!);
      expect(rec?.state).toBe('issued');
      expect(splitSigned(rec!.certificateDer!).tbs).toEqual(rec!.plannedTbs);
    }
    expect(await e.recover({ updatedBefore: clock.now() })).toEqual([]);
  });

  describe('where the software signer signs', () => {
    async function issueMany(e: ReturnType<typeof engine>['engine'], count: number): Promise<Uint8Array[]> {
      const requests = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const ids = [dns(`many-${i}.example.com`)];
          return e.prepare({ csrDer: (await csrFor(ids)).der, identifiers: ids });
        }),
      );
      return (await Promise.all(requests.map((r) => e.issue(r)))).map((c) => c.certificateDer);
    }

    async function countSigning<T>(run: () => Promise<T>): Promise<{ result: T; onLoop: number; onPool: number }> {
      const signer = hierarchy.intermediate.signer;
      expect(signer).toBeInstanceOf(SoftwareSigner);
      const onLoop = vi.spyOn(signer as SoftwareSigner, 'sign');
      const onPool = vi.spyOn(signer as SoftwareSigner, 'signOnThreadPool');
      try {
        const result = await run();
        return { result, onLoop: onLoop.mock.calls.length, onPool: onPool.mock.calls.length };
      } finally {
        onLoop.mockRestore();
        onPool.mockRestore();
      }
    }

    async function expectSignedByIntermediate(ders: Uint8Array[]): Promise<void> {
      const signer = hierarchy.intermediate.signer;
      for (const der of ders) {
        const parts = splitSigned(der);
        expect(await verifySignature(signer.publicKeySpki, signer.algorithm, parts.tbs, parts.signature)).toBe(true);
      }
    }

    it('auto: on the event loop for one issuance at a time, on the thread pool while several are in flight', async () => {
      const { engine: e } = engine(new MemoryStore(), { softwareSigning: 'auto' });
      const one = await countSigning(() => issueMany(e, 1));
      expect(one).toMatchObject({ onLoop: 1, onPool: 0 });
      const several = await countSigning(() => issueMany(e, 4));
      expect(several.onPool).toBeGreaterThan(0);
      expect(several.onLoop + several.onPool).toBe(4);
      await expectSignedByIntermediate([...one.result, ...several.result]);
    });

    /** A verification worker that counts where each verification ran. */
    function countingWorker(): { worker: VerificationWorker; counts: { onWorker: number; onCaller: number } } {
      const real = createVerificationWorker();
      const counts = { onWorker: 0, onCaller: 0 };
      const worker: VerificationWorker = {
        verifierFor(spki): SignatureVerifier {
          const inner = real.verifierFor(spki);
          return {
            verify: (...args) => {
              counts.onWorker++;
              return inner.verify(...args);
            },
            verifySync: (...args) => {
              counts.onCaller++;
              return inner.verifySync(...args);
            },
          };
        },
        get pending() {
          return real.pending;
        },
        close: () => real.close(),
      };
      return { worker, counts };
    }

    it('with a verification worker: concurrent issuances verify there, one alone on the calling thread', async () => {
      const { worker, counts } = countingWorker();
      try {
        const { engine: e } = engine(new MemoryStore(), { verificationWorker: worker });
        const one = await issueMany(e, 1);
        expect(counts).toEqual({ onWorker: 0, onCaller: 1 });
        const several = await issueMany(e, 6);
        expect(counts.onWorker).toBeGreaterThanOrEqual(5);
        expect(counts.onWorker + counts.onCaller).toBe(7);
        await expectSignedByIntermediate([...one, ...several]);
      } finally {
        await worker.close();
      }
    });

    it('with a verification worker: a bad signature among concurrent ones is caught, and its serial stays planned and revocable', async () => {
      const real = hierarchy.intermediate.signer;
      let signed = 0;
      const faulty: Issuer = {
        ...hierarchy.intermediate,
        signer: {
          algorithm: real.algorithm,
          publicKeySpki: real.publicKeySpki,
          async sign(data) {
            const signature = Uint8Array.from(await real.sign(data));
            if (signed++ % 2 === 1) signature[signature.length - 1]! ^= 0x01;
            return signature;
          },
        },
      };
      const worker = createVerificationWorker();
      try {
        const store = new MemoryStore();
        const e = createIssuanceEngine({ store, issuers: new IssuerSet([faulty]), profiles: profiles(), clock, random: cryptoRandom(), verificationWorker: worker });
        const requests = await Promise.all(
          Array.from({ length: 6 }, async (_, i) => {
            const ids = [dns(`faulty-${i}.example.com`)];
            return e.prepare({ csrDer: (await csrFor(ids)).der, identifiers: ids });
          }),
        );
        const outcomes = await Promise.allSettled(requests.map((r) => e.issue(r)));
        const failed = outcomes.filter((o) => o.status === 'rejected');
        expect(failed).toHaveLength(3);
        for (const f of failed) {
          expect(f.reason).toMatchObject({ code: 'serverInternal', detail: expect.stringMatching(/did not verify; nothing was released/) });
        }
        const issued = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        await expectSignedByIntermediate(issued.map((c) => c.certificateDer));
        const planned = await store.listCertificatesByState(['planned'], { updatedBefore: new Date(clock.now().getTime() + 1000), limit: 10 });
        expect(planned).toHaveLength(3);
        expect(planned.every((r) => r.plannedTbs !== undefined && r.certificateDer === undefined)).toBe(true);
      } finally {
        await worker.close();
      }
    });

    it('event-loop (the default) and thread-pool fix the choice, and both give certificates that verify', async () => {
      const onLoop = await countSigning(() => issueMany(engine().engine, 3));
      expect(onLoop).toMatchObject({ onLoop: 3, onPool: 0 });
      const onPool = await countSigning(() => issueMany(engine(new MemoryStore(), { softwareSigning: 'thread-pool' }).engine, 1));
      expect(onPool).toMatchObject({ onLoop: 0, onPool: 1 });
      await expectSignedByIntermediate([...onLoop.result, ...onPool.result]);
    });
  });
});
