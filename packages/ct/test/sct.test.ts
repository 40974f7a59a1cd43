import { describe, expect, it } from 'vitest';
import {
  TlsDecodeError,
  decodeSct,
  decodeSctList,
  encodeSct,
  encodeSctList,
  sctListFromCertificate,
  splitSctList,
  x509Entry,
} from '../src/index.js';
import type { SignedCertificateTimestamp } from '../src/index.js';
import { capturingCollector, engineWith, hex, issueFor, logKeyPair, makeSct } from './helpers.js';

const sample: SignedCertificateTimestamp = {
  version: 0,
  logId: Uint8Array.from({ length: 32 }, (_, i) => i),
  timestamp: 1_700_000_000_123,
  extensions: Uint8Array.of(0xaa, 0xbb),
  signature: { hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01) },
};

describe('SCT v1 TLS encoding (RFC 6962 §3.2)', () => {
  it('encodes the fields in order with their length prefixes', () => {
    const bytes = encodeSct(sample);
    expect(hex(bytes)).toBe(
      '00' + hex(sample.logId) + '0000018bcfe5687b' + '0002aabb' + '04' + '03' + '0005' + '3003020101',
    );
  });

  it('round-trips', () => {
    const decoded = decodeSct(encodeSct(sample));
    expect(decoded).toEqual(sample);
  });

  it('round-trips a real signed SCT with empty extensions', () => {
    const key = logKeyPair();
    const sct = makeSct(key, x509Entry(Uint8Array.of(1, 2, 3)), 1_750_000_000_000);
    expect(decodeSct(encodeSct(sct))).toEqual(sct);
  });

  it.each([
    ['a version other than v1', (b: Uint8Array) => Uint8Array.from([1, ...b.subarray(1)]), /SCT version 1 is not v1/],
    ['a truncated log id', (b: Uint8Array) => b.subarray(0, 20), /SCT log id: needs 32 octets/],
    ['trailing bytes', (b: Uint8Array) => Uint8Array.from([...b, 0]), /SCT: 1 trailing octet/],
    ['an empty signature', (b: Uint8Array) => Uint8Array.from([...b.subarray(0, b.length - 7), 0, 0]), /signature: needs at least 1 octets/],
    ['an extensions length past the end', (b: Uint8Array) => { const c = Uint8Array.from(b); c[41] = 0xff; return c; }, /SCT extensions: needs 65282 octets/],
  ])('rejects %s', (_name, mutate, message) => {
    expect(() => decodeSct(mutate(encodeSct(sample)))).toThrow(TlsDecodeError);
    expect(() => decodeSct(mutate(encodeSct(sample)))).toThrow(message);
  });
});

describe('SCT lists (RFC 6962 §3.3)', () => {
  it('prefixes the list and each SCT with a 2-octet length, and round-trips', () => {
    const second = { ...sample, timestamp: 5, extensions: new Uint8Array(0) };
    const list = encodeSctList([sample, encodeSct(second)]);
    const a = encodeSct(sample);
    const b = encodeSct(second);
    expect(list.length).toBe(2 + 2 + a.length + 2 + b.length);
    expect((list[0]! << 8) | list[1]!).toBe(list.length - 2);
    expect((list[2]! << 8) | list[3]!).toBe(a.length);
    expect(splitSctList(list).map(hex)).toEqual([hex(a), hex(b)]);
    expect(decodeSctList(list)).toEqual([sample, second]);
  });

  it('refuses to encode an empty list', () => {
    expect(() => encodeSctList([])).toThrow(/at least one SCT/);
  });

  it.each([
    ['an empty list', Uint8Array.of(0, 0), /SCT list: needs at least 1 octets/],
    ['a zero-length SCT', Uint8Array.of(0, 2, 0, 0), /SCT 1: needs at least 1 octets/],
    ['a list length past the end', Uint8Array.of(0, 9, 0, 1, 7), /SCT list: needs 9 octets/],
    ['bytes after the list', Uint8Array.of(0, 3, 0, 1, 7, 0), /SCT list: 1 trailing octet/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => splitSctList(bytes)).toThrow(message);
  });

  it('reads the list back out of a certificate as core embeds it (OCTET STRING inside extnValue)', async () => {
    const list = encodeSctList([sample]);
    const collector = capturingCollector(() => list);
    const { engine } = await engineWith(collector);
    const issued = await issueFor(engine, ['list.example']);
    expect(hex(sctListFromCertificate(issued.certificateDer)!)).toBe(hex(list));
    expect(sctListFromCertificate(collector.precertificates[0]!)).toBeUndefined();
  });
});
