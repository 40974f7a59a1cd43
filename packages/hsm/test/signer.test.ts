import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToP1363, p1363ToDer, parsePublicKeyInfo, verifySignature, type SignatureAlgorithm } from '@certwright/core';
import { CKM_EDDSA, createPkcs11Signer, isHsmError, openHsmToken, type HsmKeyType, type HsmToken, type Pkcs11Signer } from '../src/index.js';
import { createSoftHsm, type SoftHsm } from './softhsm.js';

let hsm: SoftHsm;
let token: HsmToken;
let mechanisms: number[];
const signers: Pkcs11Signer[] = [];

const KEYS: readonly { keyType: HsmKeyType; label: string; id: string }[] = [
  { keyType: 'P-256', label: 'ec256', id: '01' },
  { keyType: 'P-384', label: 'ec384', id: '02' },
  { keyType: 'RSA-2048', label: 'rsa2048', id: '03' },
];

beforeAll(async () => {
  hsm = await createSoftHsm(['signing']);
  const t = hsm.tokens['signing']!;
  token = await openHsmToken({ module: hsm.module, token: { label: t.label }, pin: t.pin });
  for (const key of KEYS) await token.generateKeyPair(key);
  const slot = hsm.module.pkcs11.C_GetSlotList(true).find((s) => hsm.module.pkcs11.C_GetTokenInfo(s).label.trim() === 'signing')!;
  mechanisms = hsm.module.pkcs11.C_GetMechanismList(slot);
  if (mechanisms.includes(CKM_EDDSA)) await token.generateKeyPair({ keyType: 'Ed25519', label: 'ed25519', id: '04' });
});

afterAll(async () => {
  for (const signer of signers) await signer.close();
  await token.close();
  await hsm.cleanup();
});

async function signer(label: string, algorithm?: SignatureAlgorithm, extra: { expectedSpki?: Uint8Array } = {}): Promise<Pkcs11Signer> {
  const t = hsm.tokens['signing']!;
  const s = await createPkcs11Signer({
    module: hsm.module,
    token: { label: t.label },
    pin: t.pin,
    key: { label },
    poolSize: 2,
    ...(algorithm === undefined ? {} : { algorithm }),
    ...extra,
  });
  signers.push(s);
  return s;
}

const message = new TextEncoder().encode('to be signed by the token');
const other = new TextEncoder().encode('to be signed by the token, altered');

async function expectSignsAndVerifies(s: Pkcs11Signer, algorithm: SignatureAlgorithm): Promise<void> {
  expect(s.algorithm).toBe(algorithm);
  const signature = await s.sign(message);
  expect(await verifySignature(s.publicKeySpki, algorithm, message, signature)).toBe(true);
  expect(await verifySignature(s.publicKeySpki, algorithm, other, signature)).toBe(false);
}

describe('signature mechanisms, verified with node:crypto', () => {
  it.each([
    ['ec256', 'ecdsa-with-SHA256'],
    ['ec256', 'ecdsa-with-SHA384'],
    ['ec256', 'ecdsa-with-SHA512'],
    ['ec384', 'ecdsa-with-SHA384'],
    ['ec384', 'ecdsa-with-SHA256'],
    ['rsa2048', 'sha256WithRSAEncryption'],
    ['rsa2048', 'sha384WithRSAEncryption'],
    ['rsa2048', 'sha512WithRSAEncryption'],
    ['rsa2048', 'rsassa-pss-sha256'],
    ['rsa2048', 'rsassa-pss-sha384'],
    ['rsa2048', 'rsassa-pss-sha512'],
  ] as const)('%s signs with %s (CKM_ECDSA over a software digest, CKM_SHAx_RSA_PKCS, CKM_SHAx_RSA_PKCS_PSS)', async (label, algorithm) => {
    await expectSignsAndVerifies(await signer(label, algorithm), algorithm);
  });

  it('ECDSA signatures are DER Ecdsa-Sig-Value, not r||s', async () => {
    const signature = await (await signer('ec256')).sign(message);
    expect(signature[0]).toBe(0x30);
    expect(p1363ToDer(derToP1363(signature, 32))).toEqual(signature);
  });

  it('Ed25519 signs with CKM_EDDSA when the token offers it', async (ctx) => {
    if (!mechanisms.includes(CKM_EDDSA)) ctx.skip('this SoftHSM build lacks CKM_EDDSA (built without EdDSA support)');
    const s = await signer('ed25519');
    await expectSignsAndVerifies(s, 'Ed25519');
    expect(s.keyType).toBe('Ed25519');
    expect(parsePublicKeyInfo(s.publicKeySpki)).toMatchObject({ kind: 'ed25519' });
  });

  it('defaults the algorithm to the key: P-256 → ecdsa-with-SHA256, P-384 → ecdsa-with-SHA384, RSA → sha256WithRSAEncryption', async () => {
    expect((await signer('ec256')).algorithm).toBe('ecdsa-with-SHA256');
    expect((await signer('ec384')).algorithm).toBe('ecdsa-with-SHA384');
    expect((await signer('rsa2048')).algorithm).toBe('sha256WithRSAEncryption');
  });

  it('builds the SubjectPublicKeyInfo from the token attributes (EC point and params, RSA modulus and exponent)', async () => {
    const ec = parsePublicKeyInfo((await signer('ec384')).publicKeySpki);
    expect(ec).toMatchObject({ kind: 'ec', curve: 'P-384' });
    const rsa = parsePublicKeyInfo((await signer('rsa2048')).publicKeySpki);
    expect(rsa.kind).toBe('rsa');
    expect(rsa.kind === 'rsa' ? rsa.modulus.toString(2).length : 0).toBe(2048);
    expect(rsa.kind === 'rsa' ? rsa.exponent : 0n).toBe(65537n);
    const s = await signer('rsa2048');
    expect(s.keyType).toBe('RSA-2048');
    expect(s.keyLabel).toBe('rsa2048');
    expect(s.keyId).toBe('03');
  });

  it('selects the key by CKA_ID as well as by label', async () => {
    const t = hsm.tokens['signing']!;
    const s = await createPkcs11Signer({ module: hsm.module, token: { label: t.label }, pin: t.pin, key: { id: '02' } });
    signers.push(s);
    expect(s.keyLabel).toBe('ec384');
  });

  it('rejects an algorithm that does not fit the key type, naming both', async () => {
    const err = await signer('ec256', 'rsassa-pss-sha256').catch((e: unknown) => e);
    expect(isHsmError(err, 'mechanismUnsupported')).toBe(true);
    expect((err as Error).message).toContain('rsassa-pss-sha256');
    expect((err as Error).message).toContain('P-256');
  });

  it('accepts a matching expectedSpki and rejects a different one, naming the key label', async () => {
    const ec256 = await signer('ec256');
    await expect(signer('ec256', undefined, { expectedSpki: ec256.publicKeySpki })).resolves.toBeDefined();
    const ec384 = await signer('ec384');
    const err = await signer('ec256', undefined, { expectedSpki: ec384.publicKeySpki }).catch((e: unknown) => e);
    expect(isHsmError(err, 'publicKeyMismatch')).toBe(true);
    expect((err as Error).message).toContain('"ec256"');
  });
});
