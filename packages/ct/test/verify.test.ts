import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { isCertwrightError, toPem } from '@certwright/core';
import { parseCtLogKey, verifySct, x509Entry } from '../src/index.js';
import type { SignedCertificateTimestamp } from '../src/index.js';
import { logKeyPair, makeSct } from './helpers.js';

const entry = x509Entry(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05));
const now = new Date('2026-06-01T00:00:00Z');

describe('SCT signature verification (RFC 6962 §3.2, §2.1.4)', () => {
  for (const kind of ['ec', 'rsa'] as const) {
    it(`accepts a good ${kind === 'ec' ? 'ECDSA P-256' : 'RSA'} SCT and refuses it once corrupted`, () => {
      const key = logKeyPair(kind);
      const logKey = parseCtLogKey(toPem(key.spki, 'PUBLIC KEY'));
      expect(logKey.algorithm).toBe(kind === 'ec' ? 'ecdsa' : 'rsa');
      const sct = makeSct(key, entry, now.getTime() - 1000);
      expect(verifySct(sct, logKey, entry, { now })).toEqual({ ok: true });

      const sig = Uint8Array.from(sct.signature.signature);
      sig[sig.length - 1]! ^= 0x01;
      const corrupted: SignedCertificateTimestamp = { ...sct, signature: { ...sct.signature, signature: sig } };
      expect(verifySct(corrupted, logKey, entry, { now })).toEqual({ ok: false, reason: 'the signature does not verify with the log key' });
      // Same signature, different data: a changed timestamp or entry breaks it too.
      expect(verifySct({ ...sct, timestamp: sct.timestamp + 1 }, logKey, entry, { now }).ok).toBe(false);
      expect(verifySct(sct, logKey, x509Entry(Uint8Array.of(1)), { now }).ok).toBe(false);
    });
  }

  it("refuses an SCT from another log (log id)", () => {
    const a = logKeyPair();
    const b = logKeyPair();
    const sct = makeSct(a, entry, 1);
    expect(verifySct(sct, parseCtLogKey(b.spki), entry)).toEqual({ ok: false, reason: "the SCT's log id is not the log's" });
  });

  it('refuses an SCT stamped in the future beyond the tolerated skew', () => {
    const key = logKeyPair();
    const logKey = parseCtLogKey(key.spki);
    const sct = makeSct(key, entry, now.getTime() + 61_000);
    const result = verifySct(sct, logKey, entry, { now });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/timestamp .* is in the future/);
    expect(verifySct(sct, logKey, entry, { now, maxFutureSkewMs: 120_000 })).toEqual({ ok: true });
  });

  it('refuses a hash other than SHA-256 and a signature algorithm that is not the key\'s', () => {
    const key = logKeyPair();
    const logKey = parseCtLogKey(key.spki);
    const sct = makeSct(key, entry, 1);
    const sha384 = verifySct({ ...sct, signature: { ...sct.signature, hashAlgorithm: 5 } }, logKey, entry);
    expect(sha384).toEqual({ ok: false, reason: 'hash algorithm 5 is not sha256 (4)' });
    const rsa = verifySct({ ...sct, signature: { ...sct.signature, signatureAlgorithm: 1 } }, logKey, entry);
    expect(rsa).toEqual({ ok: false, reason: "signature algorithm 1 does not match the log's ecdsa key (3)" });
  });

  it('refuses a version other than v1', () => {
    const key = logKeyPair();
    const sct = makeSct(key, entry, 1);
    expect(verifySct({ ...sct, version: 1 }, parseCtLogKey(key.spki), entry)).toEqual({ ok: false, reason: 'SCT version 1 is not v1' });
  });
});

describe('log keys (RFC 6962 §2.1.4)', () => {
  const rejects = (input: string | Uint8Array, rule: RegExp): void => {
    let error: unknown;
    try {
      parseCtLogKey(input, 'CT log "x"');
    } catch (err) {
      error = err;
    }
    expect(isCertwrightError(error, 'serverInternal')).toBe(true);
    expect((error as Error).message).toMatch(rule);
  };

  it('refuses P-384, Ed25519 and RSA-1024 keys', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    rejects(new Uint8Array(p384), /CT log "x": the public key must be ECDSA P-256 or RSA .* got EC secp384r1/);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
    rejects(new Uint8Array(ed), /must be ECDSA P-256 or RSA .* got ed25519/);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
    rejects(new Uint8Array(rsa1024), /got rsa 1024 bits/);
  });

  it('refuses text that is not a PUBLIC KEY PEM and bytes that are not an SPKI', () => {
    rejects('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /not a PEM or DER SubjectPublicKeyInfo/);
    rejects(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), /not a PEM or DER SubjectPublicKeyInfo/);
  });
});
