/**
 * PKCS#11 signing throughput over SoftHSM2: P-256 signatures per second
 * through the session pool (4 sessions, 16 callers) next to a single session
 * with one caller, in the same run. The token lives in the run's tmpDir.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPkcs11Signer, loadPkcs11Module, openHsmToken, type Pkcs11Module, type Pkcs11Signer } from '@certwright/hsm';
import { measureRate, type Benchmark, type BenchResult } from './harness.js';

const run = promisify(execFile);

const MODULE_CANDIDATES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/local/lib/softhsm/libsofthsm2.so'];
const LABEL = 'bench';
const PIN = 'bench-user-pin';

function modulePath(): string {
  const candidates = process.env['SOFTHSM2_MODULE'] ? [process.env['SOFTHSM2_MODULE']] : MODULE_CANDIDATES;
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`SoftHSM2 not found (looked for ${candidates.join(', ')})`);
  return found;
}

/** A SoftHSM2 config and token under `dir`; SOFTHSM2_CONF must be set before the module is initialised. */
async function prepareToken(dir: string): Promise<void> {
  const tokenDir = join(dir, 'softhsm-tokens');
  mkdirSync(tokenDir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  await run('softhsm2-util', ['--init-token', '--free', '--label', LABEL, '--pin', PIN, '--so-pin', 'bench-so-pin']);
}

async function signer(module: Pkcs11Module, poolSize: number): Promise<Pkcs11Signer> {
  return createPkcs11Signer({ module, token: { label: LABEL }, pin: PIN, key: { label: 'p256' }, poolSize });
}

/** P-256 signatures/s: pool of 4 with 16 callers vs one session with one caller. */
export const hsmBenchmark: Benchmark = {
  name: 'hsm',
  async run(options): Promise<BenchResult[]> {
    await prepareToken(options.tmpDir);
    const module = loadPkcs11Module(modulePath());
    try {
      const token = await openHsmToken({ module, token: { label: LABEL }, pin: PIN });
      await token.generateKeyPair({ keyType: 'P-256', label: 'p256', id: '01' });
      await token.close();
      const durationMs = options.quick ? 1_000 : 5_000;
      const warmupMs = options.quick ? 200 : 1_000;
      const message = new TextEncoder().encode('certwright hsm benchmark tbs');

      const single = await signer(module, 1);
      const singleRate = await measureRate(() => single.sign(message), { durationMs, warmupMs, concurrency: 1 });
      await single.close();

      const pooled = await signer(module, 4);
      const pooledRate = await measureRate(() => pooled.sign(message), { durationMs, warmupMs, concurrency: 16 });
      await pooled.close();

      return [
        {
          group: 'hsm',
          name: 'P-256 signatures via PKCS#11 (SoftHSM2, pool 4, 16 callers)',
          value: pooledRate,
          unit: 'signatures/s',
          baseline: { name: 'single session, 1 caller', value: singleRate, unit: 'signatures/s' },
          ratio: pooledRate / singleRate,
          notes: 'C_SignAsync on libuv worker threads (4 by default); SHA-256 in node:crypto, CKM_ECDSA on the digest',
        },
      ];
    } finally {
      module.finalize();
    }
  },
};
