import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { EXTENSION_OIDS, assembleSigned, decodeTbs, der, derReader, encodeTbs, extension, isCertwrightError, splitSigned } from '@certwright/core';

const NULL_DER = der.NULL_DER;
import { encodeSctList, issuerKeyHash, merkleTreeLeaf, precertEntry, precertTbsForSct, sctSignedData, x509Entry } from '../src/index.js';
import { capturingCollector, engineWith, hex, issueFor } from './helpers.js';

const dummyList = encodeSctList([Uint8Array.of(0, 1, 2)]);

/** The TBS of `certDer` with extension `oid` removed, re-encoded by an independent ASN.1 library. */
function tbsWithoutByPeculiar(certDer: Uint8Array, oid: string): Uint8Array {
  const cert = pkijs.Certificate.fromBER(certDer);
  cert.extensions = cert.extensions?.filter((e) => e.extnID !== oid);
  return new Uint8Array(cert.encodeTBS().toBER(false));
}

async function pair(): Promise<{ pre: Uint8Array; final: Uint8Array; issuerSpki: Uint8Array }> {
  const collector = capturingCollector(() => dummyList);
  const { engine, h } = await engineWith(collector);
  const issued = await issueFor(engine, ['a.example', 'b.example']);
  return { pre: collector.precertificates[0]!, final: issued.certificateDer, issuerSpki: h.intermediate.spki };
}

/** A precertificate-shaped certificate with `extensions` in place of the real ones (signature is not checked here). */
function withExtensions(pre: Uint8Array, extensions: der.Der[]): Uint8Array {
  const parts = splitSigned(pre);
  const t = decodeTbs(parts.tbs);
  const tbs = encodeTbs({ serial: t.serial, signatureAlgorithm: t.signatureAlgorithm, issuer: t.issuer, notBefore: t.notBefore, notAfter: t.notAfter, subject: t.subject, spki: t.spki, extensions });
  return assembleSigned(tbs, parts.signatureAlgorithm, parts.signature);
}

describe('precertTbsForSct (RFC 6962 §3.2)', () => {
  it('removes the poison and nothing else: equal to the final TBS without its SCT list, and to an independent re-encoding', async () => {
    const { pre, final } = await pair();
    const out = precertTbsForSct(pre);
    expect(hex(out)).toBe(hex(tbsWithoutByPeculiar(final, EXTENSION_OIDS.ctSctList)));
    expect(hex(out)).toBe(hex(tbsWithoutByPeculiar(pre, EXTENSION_OIDS.ctPrecertificatePoison)));
    const before = decodeTbs(splitSigned(pre).tbs);
    const after = decodeTbs(out);
    expect(after.extensions.map((e) => hex(e.der))).toEqual(before.extensions.filter((e) => e.oid !== EXTENSION_OIDS.ctPrecertificatePoison).map((e) => hex(e.der)));
    expect(before.extensions.length - after.extensions.length).toBe(1);
    expect(hex(after.serial)).toBe(hex(before.serial));
    expect(hex(after.spki)).toBe(hex(before.spki));
  });

  it('drops the extensions field when the poison was its only member', async () => {
    const { pre } = await pair();
    const out = precertTbsForSct(withExtensions(pre, [extension(EXTENSION_OIDS.ctPrecertificatePoison, true, NULL_DER)]));
    expect(decodeTbs(out).extensions).toEqual([]);
    expect(derReader.children(derReader.readSingle(out)).map((t) => t.tag)).not.toContain(0xa3);
  });

  const reject = (cert: Uint8Array, rule: RegExp): void => {
    let error: unknown;
    try {
      precertTbsForSct(cert);
    } catch (err) {
      error = err;
    }
    expect(isCertwrightError(error, 'serverInternal')).toBe(true);
    expect((error as Error).message).toMatch(rule);
  };

  it('rejects a certificate without the poison', async () => {
    const { final } = await pair();
    reject(final, /no poison extension/);
  });

  it('rejects a non-critical poison', async () => {
    const { pre } = await pair();
    reject(withExtensions(pre, [extension(EXTENSION_OIDS.ctPrecertificatePoison, false, NULL_DER)]), /poison extension must be critical/);
  });

  it('rejects a poison whose value is not NULL', async () => {
    const { pre } = await pair();
    reject(withExtensions(pre, [extension(EXTENSION_OIDS.ctPrecertificatePoison, true, Uint8Array.of(0x04, 0x00))]), /value must be ASN.1 NULL/);
  });

  it('rejects two poisons', async () => {
    const { pre } = await pair();
    const poison = extension(EXTENSION_OIDS.ctPrecertificatePoison, true, NULL_DER);
    reject(withExtensions(pre, [poison, poison]), /more than one poison/);
  });
});

describe('signed data and leaves', () => {
  it('issuer_key_hash is SHA-256 of the issuer SPKI', async () => {
    const { pre, issuerSpki } = await pair();
    const entry = precertEntry(pre, issuerSpki);
    expect(entry.type).toBe('precert');
    expect(hex(issuerKeyHash(issuerSpki))).toBe(createHash('sha256').update(issuerSpki).digest('hex'));
    if (entry.type === 'precert') expect(hex(entry.issuerKeyHash)).toBe(hex(issuerKeyHash(issuerSpki)));
  });

  it('lays out the x509 signed data as RFC 6962 §3.2 says', () => {
    const cert = Uint8Array.of(0xde, 0xad);
    const data = sctSignedData({ timestamp: 0x0102030405, extensions: Uint8Array.of(9) }, x509Entry(cert));
    expect(hex(data)).toBe('00' + '00' + '0000000102030405' + '0000' + '000002' + 'dead' + '0001' + '09');
  });

  it('lays out the precert signed data and the Merkle tree leaf', () => {
    const entry = { type: 'precert' as const, issuerKeyHash: new Uint8Array(32).fill(7), tbsCertificate: Uint8Array.of(0x30, 0x00) };
    const data = sctSignedData({ timestamp: 1, extensions: new Uint8Array(0) }, entry);
    expect(hex(data)).toBe('0000' + '0000000000000001' + '0001' + '07'.repeat(32) + '000002' + '3000' + '0000');
    // MerkleTreeLeaf: version v1, leaf_type timestamped_entry (0), then the same TimestampedEntry.
    expect(hex(merkleTreeLeaf(1, entry))).toBe(hex(data));
    expect(() => sctSignedData({ timestamp: 1, extensions: new Uint8Array(0) }, { ...entry, issuerKeyHash: new Uint8Array(31) })).toThrow(/32 octets/);
  });
});
