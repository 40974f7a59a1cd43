import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { children, encodingOf, readSingle } from '../../src/x509/der-reader.js';
import { bitString, encodeDer, sequence } from '../../src/x509/der.js';
import { describe, expect, it } from 'vitest';
import { checkPublicKey, DEFAULT_KEY_POLICY, KeyPolicyError, type KeyPolicy, type KeyPolicyRule } from '../../src/keys/key-policy.js';
import { ecSpki, rsaSpki } from '../../src/keys/jwk.js';
import { parsePublicKeyInfo, spkiSha256Hex } from '../../src/keys/spki.js';
import { CURVES } from '../../src/keys/curves.js';
import { CertwrightError } from '../../src/errors.js';
import { closePrimes, rocaPrime, spkiOf } from './fixtures.js';

async function rejection(spki: Uint8Array, policy: KeyPolicy = DEFAULT_KEY_POLICY, context = {}): Promise<KeyPolicyError> {
  try {
    await checkPublicKey(spki, policy, context);
  } catch (err) {
    if (err instanceof KeyPolicyError) return err;
    throw err;
  }
  throw new Error('the key was accepted');
}

async function expectRejected(spki: Uint8Array, rule: KeyPolicyRule, detail: RegExp, policy?: KeyPolicy): Promise<void> {
  const err = await rejection(spki, policy);
  expect(err).toBeInstanceOf(CertwrightError);
  expect(err.code).toBe('badKey');
  expect(err.rule).toBe(rule);
  expect(err.detail).toContain(`rule ${rule}`);
  expect(err.detail).toMatch(detail);
}

/** A random odd 2048-bit number with the top bit set. */
function random2048(): bigint {
  return ((1n << 2047n) | BigInt('0x' + randomBytes(256).toString('hex')) | 1n) & ((1n << 2048n) - 1n);
}

describe('checkPublicKey: keys accepted by default', () => {
  it.each(['rsa2048-pkcs1.pem', 'rsa3072-spki.pem', 'rsa4096-spki.pem', 'p256-sec1.pem', 'p384-pkcs8.pem'])('accepts %s', async (file) => {
    const spki = spkiOf(file);
    await expect(checkPublicKey(spki, DEFAULT_KEY_POLICY)).resolves.toEqual(parsePublicKeyInfo(spki));
  });

  it('accepts P-521 and Ed25519 when the policy enables them', async () => {
    const policy: KeyPolicy = { ...DEFAULT_KEY_POLICY, allowedCurves: ['P-256', 'P-521'], allowEd25519: true };
    await expect(checkPublicKey(spkiOf('p521-pkcs8.pem'), policy)).resolves.toMatchObject({ kind: 'ec', curve: 'P-521' });
    await expect(checkPublicKey(spkiOf('ed25519-pkcs8.pem'), policy)).resolves.toMatchObject({ kind: 'ed25519' });
  });
});

describe('checkPublicKey: RSA rules', () => {
  it('rejects RSA-1024 (rsaKeySize)', async () => {
    await expectRejected(spkiOf('rsa1024-spki.pem'), 'rsaKeySize', /1024 bits; allowed sizes are 2048, 3072, 4096/);
  });

  it('rejects a size not in the list, even when larger (rsaKeySize)', async () => {
    const policy = { ...DEFAULT_KEY_POLICY, allowedRsaSizes: [3072] };
    await expectRejected(spkiOf('rsa2048-pkcs1.pem'), 'rsaKeySize', /2048 bits; allowed sizes are 3072/, policy);
  });

  it('rejects exponent 3 (rsaExponent)', async () => {
    await expectRejected(spkiOf('rsa2048-e3-spki.pem'), 'rsaExponent', /exponent is 3; only 65537/);
  });

  it('rejects a modulus with a small factor (rsaSmallFactor)', async () => {
    let n = random2048();
    while (n % 3n !== 0n) n += 2n;
    await expectRejected(rsaSpki(n, 65537n), 'rsaSmallFactor', /divisible by 3 \(primes below 1000/);
  });

  it('rejects primes close together (rsaFermat)', async () => {
    const [p, q] = closePrimes();
    await expectRejected(rsaSpki(p * q, 65537n), 'rsaFermat', /Fermat's method within 100 rounds/);
    // With the check disabled the same key passes.
    await expect(checkPublicKey(rsaSpki(p * q, 65537n), { ...DEFAULT_KEY_POLICY, fermatRounds: 0 })).resolves.toMatchObject({ kind: 'rsa' });
  });

  it('rejects a ROCA-structured modulus (rsaRoca)', async () => {
    const p = rocaPrime(12345n, 1n);
    const q = rocaPrime(67891n, 1n << 700n);
    const n = p * q;
    expect(n.toString(2).length).toBe(2048);
    await expectRejected(rsaSpki(n, 65537n), 'rsaRoca', /ROCA fingerprint/);
    await expect(checkPublicKey(rsaSpki(n, 65537n), { ...DEFAULT_KEY_POLICY, rejectRoca: false })).resolves.toMatchObject({ kind: 'rsa' });
  });
});

describe('checkPublicKey: EC and Ed25519 rules', () => {
  it('rejects a P-256 key whose y was changed (ecPointNotOnCurve)', async () => {
    const spki = spkiOf('p256-sec1.pem');
    spki[spki.length - 1]! ^= 0x01;
    await expectRejected(spki, 'ecPointNotOnCurve', /not on P-256/);
  });

  it('rejects coordinates outside the field (ecPointNotOnCurve)', async () => {
    const p = CURVES['P-256'].p;
    await expectRejected(ecSpki('P-256', p, 0n), 'ecPointNotOnCurve', /not on P-256/);
  });

  it('rejects the point at infinity as malformed (malformedKey)', async () => {
    const spki = spkiOf('p256-sec1.pem');
    const algorithm = encodingOf(children(readSingle(spki))[0]!);
    const truncated = encodeDer(sequence(algorithm, bitString(Uint8Array.of(0))));
    await expectRejected(truncated, 'malformedKey', /point at infinity/);
  });

  it('rejects P-521 unless allowed (ecCurve)', async () => {
    await expectRejected(spkiOf('p521-pkcs8.pem'), 'ecCurve', /curve P-521 is not allowed; allowed curves are P-256, P-384/);
  });

  it('rejects an unknown curve even if listed (ecCurve)', async () => {
    const k1 = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'der', type: 'spki' }));
    await expectRejected(k1, 'ecCurve', /curve 1\.3\.132\.0\.10 is not allowed/);
  });

  it('rejects Ed25519 unless enabled (ed25519NotAllowed)', async () => {
    await expectRejected(spkiOf('ed25519-pkcs8.pem'), 'ed25519NotAllowed', /Ed25519 keys are not allowed/);
  });

  it('rejects other algorithms by OID (keyAlgorithm)', async () => {
    await expectRejected(spkiOf('ed448-pkcs8.pem'), 'keyAlgorithm', /1\.3\.101\.113 is not supported/);
  });

  it('rejects malformed DER (malformedKey)', async () => {
    await expectRejected(Uint8Array.from([...spkiOf('p256-sec1.pem'), 0]), 'malformedKey', /trailing data: 1 byte after/);
  });
});

describe('checkPublicKey: blocked keys, account keys, callbacks, purpose', () => {
  it('rejects a key in the blocked-keys table, passing its SPKI SHA-256 (blockedKey)', async () => {
    const spki = spkiOf('p256-sec1.pem');
    const seen: string[] = [];
    const policy: KeyPolicy = {
      ...DEFAULT_KEY_POLICY,
      blockedKeyLookup: async (hash) => {
        seen.push(hash);
        return { spkiSha256: hash, reason: 'keyCompromise', addedAt: new Date(0) };
      },
    };
    await expectRejected(spki, 'blockedKey', /blocked \(keyCompromise\)/, policy);
    expect(seen).toEqual([spkiSha256Hex(spki)]);
    await expectRejected(spki, 'blockedKey', /the public key is blocked$/, { ...DEFAULT_KEY_POLICY, blockedKeyLookup: async () => true });
    await expect(checkPublicKey(spki, { ...DEFAULT_KEY_POLICY, blockedKeyLookup: async () => false })).resolves.toBeDefined();
    await expect(checkPublicKey(spki, { ...DEFAULT_KEY_POLICY, blockedKeyLookup: async () => undefined })).resolves.toBeDefined();
  });

  it('rejects a CSR key equal to the account key (sameAsAccountKey)', async () => {
    const spki = spkiOf('p256-sec1.pem');
    const err = await rejection(spki, DEFAULT_KEY_POLICY, { accountKeySpki: spkiOf('p256-sec1.pem') });
    expect(err.rule).toBe('sameAsAccountKey');
    expect(err.code).toBe('badKey');
    expect(err.detail).toMatch(/must differ from the account key/);
    await expect(checkPublicKey(spki, DEFAULT_KEY_POLICY, { accountKeySpki: spkiOf('p384-pkcs8.pem') })).resolves.toBeDefined();
  });

  it('uses badPublicKey for account keys', async () => {
    const err = await rejection(spkiOf('rsa1024-spki.pem'), DEFAULT_KEY_POLICY, { purpose: 'account' });
    expect(err.code).toBe('badPublicKey');
    expect(err.rule).toBe('rsaKeySize');
  });

  it('runs extraCheck last and lets it reject', async () => {
    const policy: KeyPolicy = {
      ...DEFAULT_KEY_POLICY,
      extraCheck: async (key) => {
        if (key.kind === 'ec') throw new CertwrightError('badKey', 'this CA issues only for RSA keys');
      },
    };
    await expect(checkPublicKey(spkiOf('p256-sec1.pem'), policy)).rejects.toMatchObject({ code: 'badKey', detail: 'this CA issues only for RSA keys' });
    await expect(checkPublicKey(spkiOf('rsa2048-pkcs1.pem'), policy)).resolves.toMatchObject({ kind: 'rsa' });
  });
});
