import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identifier } from '../../src/identifier.js';
import type { Issuer } from '../../src/issuance/issuer.js';
import { createLeafTbsBuilder, type CtSlot } from '../../src/issuance/leaf-tbs.js';
import type { Profile } from '../../src/issuance/profile.js';
import { signTbs } from '../../src/x509/certificate.js';
import { toPem } from '../../src/x509/pem.js';

/** A temp directory with helpers to write PEM files and run openssl in it. */
export interface OpensslDir {
  dir: string;
  writeCert(name: string, der: Uint8Array): string;
  /** Runs openssl; returns stdout+stderr and the exit status (never throws on failure). */
  run(args: string[]): { ok: boolean; output: string };
  cleanup(): void;
}

export function opensslDir(): OpensslDir {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-x509-'));
  return {
    dir,
    writeCert(name, der) {
      const path = join(dir, name);
      writeFileSync(path, toPem(der, 'CERTIFICATE'));
      return path;
    },
    run(args) {
      try {
        const out = execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        return { ok: true, output: out };
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Serial bytes with a fixed positive top octet, for readable tests. */
export function testSerial(seed: number): Uint8Array {
  const s = new Uint8Array(16);
  s[0] = 0x4c;
  for (let i = 1; i < 16; i++) s[i] = (seed * 31 + i * 17) & 0xff;
  return s;
}

/** Builds and signs a leaf under `issuer` with `profile`. */
export async function issueLeaf(
  issuer: Issuer,
  profile: Profile,
  spki: Uint8Array,
  identifiers: Identifier[],
  validity: { notBefore: Date; notAfter: Date },
  serial: Uint8Array = testSerial(1),
  ct?: CtSlot,
): Promise<{ tbs: Uint8Array; der: Uint8Array }> {
  const built = createLeafTbsBuilder(issuer, profile).build({ serial, spki, identifiers, ...validity }, ct);
  const der = await signTbs(built.tbs, issuer.signatureAlgorithmDer, issuer.signer);
  return { tbs: built.tbs, der };
}

export const dns = (value: string): Identifier => ({ type: 'dns', value });
export const ip = (value: string): Identifier => ({ type: 'ip', value });
