import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecSpki, ed25519Spki, isHsmError, recoveryScope, rsaSpki, unwrapEcPoint } from '../src/index.js';
import pkcs11js from 'pkcs11js';

function jwkBytes(value: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(value ?? '', 'base64url'));
}

describe('SubjectPublicKeyInfo from token attributes', () => {
  it('builds EC, RSA and Ed25519 SPKIs byte-identical to node:crypto', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ecJwk = ec.export({ format: 'jwk' });
    const point = new Uint8Array([4, ...jwkBytes(ecJwk.x), ...jwkBytes(ecJwk.y)]);
    expect(Buffer.from(ecSpki('P-384', point))).toEqual(ec.export({ format: 'der', type: 'spki' }));

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const rsaJwk = rsa.export({ format: 'jwk' });
    expect(Buffer.from(rsaSpki(jwkBytes(rsaJwk.n), jwkBytes(rsaJwk.e)))).toEqual(rsa.export({ format: 'der', type: 'spki' }));

    const ed = generateKeyPairSync('ed25519').publicKey;
    expect(Buffer.from(ed25519Spki(jwkBytes(ed.export({ format: 'jwk' }).x)))).toEqual(ed.export({ format: 'der', type: 'spki' }));
  });

  it('accepts CKA_EC_POINT as a DER OCTET STRING or as the bare point', () => {
    const point = new Uint8Array(65).fill(7);
    point[0] = 4;
    expect(unwrapEcPoint(point, 65)).toEqual(point);
    expect(unwrapEcPoint(new Uint8Array([0x04, 65, ...point]), 65)).toEqual(point);
    const ed = new Uint8Array(32).fill(9);
    expect(unwrapEcPoint(new Uint8Array([0x04, 32, ...ed]), 32)).toEqual(ed);
  });

  it('rejects a CKA_EC_POINT of the wrong size, naming the sizes', () => {
    const err = (() => {
      try {
        return unwrapEcPoint(new Uint8Array([0x04, 3, 1, 2, 3]), 65);
      } catch (e) {
        return e;
      }
    })();
    expect(isHsmError(err, 'keyNotFound')).toBe(true);
    expect((err as Error).message).toContain('65-byte point');
  });
});

describe('recovery scopes', () => {
  it('maps lost sessions, logins and devices, and nothing else', () => {
    const error = (name: string, code: number) => new pkcs11js.Pkcs11Error(`${name}:${code}`, code);
    expect(recoveryScope(error('CKR_SESSION_HANDLE_INVALID', 0xb3))).toBe('session');
    expect(recoveryScope(error('CKR_SESSION_CLOSED', 0xb0))).toBe('session');
    expect(recoveryScope(error('CKR_USER_NOT_LOGGED_IN', 0x101))).toBe('login');
    expect(recoveryScope(error('CKR_KEY_HANDLE_INVALID', 0x60))).toBe('login');
    expect(recoveryScope(error('CKR_DEVICE_REMOVED', 0x32))).toBe('device');
    expect(recoveryScope(error('CKR_TOKEN_NOT_PRESENT', 0xe0))).toBe('device');
    expect(recoveryScope(error('CKR_DEVICE_ERROR', 0x30))).toBe('device');
    expect(recoveryScope(error('CKR_DATA_LEN_RANGE', 0x21))).toBeUndefined();
    expect(recoveryScope(new Error('not from the token'))).toBeUndefined();
  });
});
