import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createIntermediateCa, createRootCa } from '../../src/issuance/bootstrap.js';
import { IssuerSet, type Issuer } from '../../src/issuance/issuer.js';
import { createIssuanceEngine, type PipelineStep } from '../../src/issuance/pipeline.js';
import { defaultProfiles } from '../../src/issuance/profile.js';
import { cryptoRandom } from '../../src/random.js';
import type { SoftwareSigner } from '../../src/signers/software.js';
import { openSqlStore } from '../../src/sql/index.js';
import type { CertificateRecord } from '../../src/store/types.js';
import { splitSigned } from '../../src/x509/certificate.js';
import { toPem } from '../../src/x509/pem.js';

/*
 * The write-ahead guarantee under real process death: a child process issues
 * against a durable SQLite file and is SIGKILLed right after each pipeline
 * step. Afterwards the store must hold either nothing signed for the serial
 * (`reserved`: recovery burns it) or a record carrying serial and TBS from
 * which the certificate can be revoked (`planned`), or the finished
 * certificate — and recovery must finish every planned record with exactly
 * the planned TBS, never a second certificate for a serial.
 *
 * The child runs the built package (`pnpm test` builds first).
 */
const child = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const ALL_STATES = ['reserved', 'planned', 'precertificate', 'issued', 'abandoned'] as const;

describe('crash at each step of the issuance pipeline (SIGKILL, SQLite)', () => {
  let dir: string;
  let issuer: Issuer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certwright-crash-'));
    const clock = systemClock();
    const random = cryptoRandom();
    const root = await createRootCa({ subject: [{ type: 'CN', value: 'Crash Test Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random });
    issuer = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Crash Test Issuing CA' }], keyType: 'P-256', validitySeconds: 365 * 86400, clock, random });
    writeFileSync(join(dir, 'chain.pem'), issuer.chain.map((c) => toPem(c, 'CERTIFICATE')).join(''));
    writeFileSync(join(dir, 'key.pem'), (issuer.signer as SoftwareSigner).exportPrivateKeyPem(), { mode: 0o600 });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectations: [PipelineStep, CertificateRecord['state']][] = [
    ['reserved', 'reserved'],
    ['planned', 'planned'],
    ['signed', 'planned'],
    ['issued', 'issued'],
  ];

  for (const [step, stateAfterCrash] of expectations) {
    it(`killed after "${step}": the record is ${stateAfterCrash}, and recovery leaves one revocable certificate or none`, async () => {
      const dbFile = join(dir, `${step}.sqlite`);
      const setup = await openSqlStore({ url: `sqlite:${dbFile}` });
      await setup.migrate();
      await setup.close();

      const run = spawnSync(process.execPath, [child, dbFile, dir, step, `${step}.example.com`], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stdout + run.stderr).not.toContain('finished without crashing');
      expect(run.signal).toBe('SIGKILL');

      const store = await openSqlStore({ url: `sqlite:${dbFile}` });
      try {
        const records = await store.listCertificatesByState(ALL_STATES, { updatedBefore: new Date('2100-01-01'), limit: 10 });
        expect(records).toHaveLength(1);
        const [record] = records as [CertificateRecord];
        expect(record.state).toBe(stateAfterCrash);
        expect(record.orderId).toBe(`order-${step}.example.com`);
        if (stateAfterCrash !== 'reserved') expect(record.plannedTbs).toBeDefined();

        const engine = createIssuanceEngine({ store, issuers: new IssuerSet([issuer]), profiles: defaultProfiles(), clock: systemClock(), random: cryptoRandom() });
        const outcomes = await engine.recover({ updatedBefore: new Date('2100-01-01') });
        const after = await store.getCertificate(record.serial);
        if (stateAfterCrash === 'reserved') {
          expect(outcomes).toEqual([{ serial: record.serial, action: 'abandoned' }]);
          expect(after?.state).toBe('abandoned');
          expect(after?.certificateDer).toBeUndefined();
          // Nothing was ever signed under this serial, so there is nothing to revoke.
          expect(await store.revoke(record.serial, 0, new Date())).toBeUndefined();
        } else {
          expect(outcomes).toEqual(stateAfterCrash === 'planned' ? [{ serial: record.serial, action: 'issued' }] : []);
          expect(after?.state).toBe('issued');
          // The one certificate for this serial carries exactly the TBS that was planned (and linted) before signing.
          expect(splitSigned(after!.certificateDer!).tbs).toEqual(after!.plannedTbs);
          expect(await store.revoke(record.serial, 1, new Date())).toMatchObject({ serial: record.serial, reason: 1 });
        }
        // A second recovery pass finds nothing left to do.
        expect(await engine.recover({ updatedBefore: new Date('2100-01-01') })).toEqual([]);
      } finally {
        await store.close();
      }
    });
  }
});
