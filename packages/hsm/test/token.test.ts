import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { buildCsr, createIntermediateCa, createRootCa, cryptoRandom, parseCsrDer, systemClock, toPem, type Issuer } from '@certwright/core';
import { createPkcs11Signer, findObjects, isHsmError, openHsmToken, type HsmToken, type Pkcs11Signer } from '../src/index.js';
import { createSoftHsm, type SoftHsm } from './softhsm.js';

const run = promisify(execFile);

let hsm: SoftHsm;
let token: HsmToken;
const signers: Pkcs11Signer[] = [];

beforeAll(async () => {
  hsm = await createSoftHsm(['ceremony']);
  const t = hsm.tokens['ceremony']!;
  token = await openHsmToken({ module: hsm.module, token: { label: t.label }, pin: t.pin });
});

afterAll(async () => {
  for (const s of signers) await s.close();
  await token.close();
  await hsm.cleanup();
});

async function signer(label: string): Promise<Pkcs11Signer> {
  const t = hsm.tokens['ceremony']!;
  const s = await createPkcs11Signer({ module: hsm.module, token: { label: t.label }, pin: t.pin, key: { label } });
  signers.push(s);
  return s;
}

/** Reads attributes of the private key `label` straight from the token. */
function privateKeyAttributes(label: string): Record<string, boolean> {
  const p = hsm.module.pkcs11;
  const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === 'ceremony')!;
  const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
  try {
    const [key] = findObjects(p, session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const names = ['CKA_TOKEN', 'CKA_PRIVATE', 'CKA_SENSITIVE', 'CKA_EXTRACTABLE', 'CKA_NEVER_EXTRACTABLE', 'CKA_SIGN', 'CKA_DECRYPT', 'CKA_UNWRAP', 'CKA_DERIVE'] as const;
    const values = p.C_GetAttributeValue(session, key!, names.map((n) => ({ type: pkcs11js[n] })));
    return Object.fromEntries(names.map((n, i) => [n, values[i]!.value[0] === 1]));
  } finally {
    p.C_CloseSession(session);
  }
}

async function openssl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('openssl', args);
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('key ceremony', () => {
  it('generates every key type as a persistent, private, sensitive, non-extractable, sign-only key pair', async () => {
    for (const [keyType, label, id] of [
      ['P-256', 'root-p256', '01'],
      ['P-384', 'root-p384', '02'],
      ['RSA-2048', 'rsa-2048', '03'],
      ['RSA-3072', 'rsa-3072', '04'],
    ] as const) {
      const info = await token.generateKeyPair({ keyType, label, id });
      expect(info).toMatchObject({ label, id, keyType, sensitive: true, extractable: false, hasCertificate: false });
      expect(privateKeyAttributes(label)).toEqual({
        CKA_TOKEN: true,
        CKA_PRIVATE: true,
        CKA_SENSITIVE: true,
        CKA_EXTRACTABLE: false,
        CKA_NEVER_EXTRACTABLE: true,
        CKA_SIGN: true,
        CKA_DECRYPT: false,
        CKA_UNWRAP: false,
        CKA_DERIVE: false,
      });
    }
  });

  it('generates RSA-4096 and Ed25519 keys that sign', async (ctx) => {
    await token.generateKeyPair({ keyType: 'RSA-4096', label: 'rsa-4096', id: '05' });
    const rsa = await signer('rsa-4096');
    expect(rsa.keyType).toBe('RSA-4096');
    const result = await token.generateKeyPair({ keyType: 'Ed25519', label: 'ed', id: '06' }).catch((e: unknown) => e);
    if (isHsmError(result, 'mechanismUnsupported')) ctx.skip(`this SoftHSM build cannot generate Ed25519 keys: ${result.message}`);
    expect(result).toMatchObject({ keyType: 'Ed25519', sensitive: true, extractable: false });
    expect((await signer('ed')).algorithm).toBe('Ed25519');
  });

  it('refuses a label or id that already exists (objectExists, naming it)', async () => {
    const byLabel = await token.generateKeyPair({ keyType: 'P-256', label: 'root-p256', id: '7f' }).catch((e: unknown) => e);
    expect(isHsmError(byLabel, 'objectExists')).toBe(true);
    expect((byLabel as Error).message).toContain('label "root-p256"');
    const byId = await token.generateKeyPair({ keyType: 'P-256', label: 'fresh', id: '01' }).catch((e: unknown) => e);
    expect(isHsmError(byId, 'objectExists')).toBe(true);
    expect((byId as Error).message).toContain('id 01');
  });

  it('lists the keys sorted by label with type, id and certificate status', async () => {
    const keys = await token.listKeys();
    const labels = keys.map((k) => k.label);
    expect(labels).toEqual([...labels].sort());
    expect(keys.find((k) => k.label === 'root-p384')).toMatchObject({ id: '02', keyType: 'P-384', hasCertificate: false });
    expect(keys.find((k) => k.label === 'rsa-3072')).toMatchObject({ id: '04', keyType: 'RSA-3072' });
    expect(keys.every((k) => k.publicKeySpki instanceof Uint8Array)).toBe(true);
  });
});

describe('CA certificates signed through the HSM', () => {
  let root: Issuer;

  it('creates a self-signed root with core createRootCa and an HSM signer; openssl verify accepts it', async () => {
    const hsmSigner = await signer('root-p256');
    root = await createRootCa({ signer: hsmSigner, subject: [{ type: 'O', value: 'certwright test' }, { type: 'CN', value: 'HSM Root' }], validitySeconds: 30 * 86_400, clock: systemClock(), random: cryptoRandom() });
    const rootPem = join(hsm.dir, 'root.pem');
    await writeFile(rootPem, toPem(root.certificate, 'CERTIFICATE'));
    const result = await openssl(['verify', '-x509_strict', '-check_ss_sig', '-CAfile', rootPem, rootPem]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`${rootPem}: OK`);
  });

  it('creates an intermediate with an RSA HSM key under the HSM root; openssl verify accepts the chain', async () => {
    const intermediate = await createIntermediateCa({ signer: await signer('rsa-3072'), root, subject: [{ type: 'CN', value: 'HSM Intermediate' }], validitySeconds: 10 * 86_400, clock: systemClock(), random: cryptoRandom() });
    const rootPem = join(hsm.dir, 'root.pem');
    const intPem = join(hsm.dir, 'intermediate.pem');
    await writeFile(intPem, toPem(intermediate.certificate, 'CERTIFICATE'));
    const result = await openssl(['verify', '-x509_strict', '-CAfile', rootPem, intPem]);
    expect(result.stdout.trim()).toBe(`${intPem}: OK`);
  });

  it('openssl verify rejects the root when a signature byte is flipped', async () => {
    const tampered = root.certificate.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    const bad = join(hsm.dir, 'tampered.pem');
    await writeFile(bad, toPem(tampered, 'CERTIFICATE'));
    const result = await openssl(['verify', '-check_ss_sig', '-CAfile', bad, bad]);
    expect(result.code).not.toBe(0);
  });

  it('stores the certificate next to its key and reads it back', async () => {
    await token.storeCertificate({ label: 'root-p256' }, root.certificate);
    expect(await token.readCertificate({ label: 'root-p256' })).toEqual(root.certificate);
    expect(await token.readCertificate({ id: '01' })).toEqual(root.certificate);
    expect((await token.listKeys()).find((k) => k.label === 'root-p256')?.hasCertificate).toBe(true);
    expect(await token.readCertificate({ label: 'root-p384' })).toBeUndefined();
  });

  it('refuses a second certificate unless replace is set, and then keeps exactly one', async () => {
    const again = await token.storeCertificate({ label: 'root-p256' }, root.certificate).catch((e: unknown) => e);
    expect(isHsmError(again, 'objectExists')).toBe(true);
    expect((again as Error).message).toContain('"root-p256"');
    await token.storeCertificate({ label: 'root-p256' }, root.certificate, { replace: true });
    expect(await token.readCertificate({ label: 'root-p256' })).toEqual(root.certificate);
  });

  it('refuses a certificate whose public key is not the key’s (publicKeyMismatch)', async () => {
    const err = await token.storeCertificate({ label: 'root-p384' }, root.certificate).catch((e: unknown) => e);
    expect(isHsmError(err, 'publicKeyMismatch')).toBe(true);
    expect((err as Error).message).toContain('"root-p384"');
  });

  it('refuses bytes that are not a certificate, and a key that does not exist', async () => {
    const notCert = await token.storeCertificate({ label: 'root-p384' }, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])).catch((e: unknown) => e);
    expect(isHsmError(notCert, 'invalidConfiguration')).toBe(true);
    expect((notCert as Error).message).toContain('not a DER X.509 certificate');
    const noKey = await token.readCertificate({ label: 'nope' }).catch((e: unknown) => e);
    expect(isHsmError(noKey, 'keyNotFound')).toBe(true);
  });
});

describe('PKCS#10 requests for an intermediate key in the HSM (core buildCsr)', () => {
  it.each(['root-p384', 'rsa-2048'])('a request signed by %s passes openssl req -verify and core parsing', async (label) => {
    const s = await signer(label);
    const csr = await buildCsr({ signer: s, subject: [{ type: 'O', value: 'certwright test' }, { type: 'CN', value: `Issuing CA ${label}` }] });
    const file = join(hsm.dir, `${label}.csr`);
    await writeFile(file, toPem(csr, 'CERTIFICATE REQUEST'));
    const result = await openssl(['req', '-verify', '-noout', '-in', file]);
    expect(`${result.stdout}${result.stderr}`).toMatch(/verify OK/);
    expect(result.code).toBe(0);
    const parsed = await parseCsrDer(csr);
    expect(parsed.subjectPublicKeyInfo).toEqual(s.publicKeySpki);
  });

  it('openssl req -verify rejects a request whose signature was altered', async () => {
    const s = await signer('root-p384');
    const csr = await buildCsr({ signer: s, subject: [{ type: 'CN', value: 'Altered' }] });
    csr[csr.length - 3]! ^= 0x01;
    const file = join(hsm.dir, 'altered.csr');
    await writeFile(file, toPem(csr, 'CERTIFICATE REQUEST'));
    const result = await openssl(['req', '-verify', '-noout', '-in', file]);
    // OpenSSL 3.0 exits 0 here; the verdict is in the output.
    expect(`${result.stdout}${result.stderr}`).toMatch(/verify failure/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/verify OK/);
  });
});

describe('token handle lifecycle', () => {
  it('refuses calls after close, naming the token', async () => {
    const t = hsm.tokens['ceremony']!;
    const handle = await openHsmToken({ module: hsm.module, token: { label: t.label }, pin: t.pin });
    await handle.close();
    const err = await handle.listKeys().catch((e: unknown) => e);
    expect(isHsmError(err, 'closed')).toBe(true);
    expect((err as Error).message).toContain('label "ceremony"');
  });

  it('keeps exactly one certificate object on the token after a replace', async () => {
    const p = hsm.module.pkcs11;
    const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === 'ceremony')!;
    const session = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      const certificates = findObjects(p, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }]);
      expect(certificates).toHaveLength(1);
    } finally {
      p.C_CloseSession(session);
    }
  });
});
