import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AsnConvert, AsnIntegerConverter, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, BasicConstraints, KeyUsage, KeyUsageFlags, Validity } from '@peculiar/asn1-x509';
import {
  bitString,
  boolean,
  concatDer,
  encodeDer,
  equalBytes,
  explicit,
  generalizedTime,
  ia5String,
  integer,
  integerFromUnsigned,
  namedBits,
  NULL_DER,
  octetString,
  oid,
  printableString,
  sequence,
  setOf,
  tlv,
  utcTime,
  utf8String,
  x509Time,
} from '../../src/x509/der.js';
import {
  DerError,
  children,
  expectTag,
  readBitString,
  readBitStringOctets,
  readBoolean,
  readInteger,
  readOid,
  readSingle,
  readString,
  readTime,
  readTlv,
  valueOf,
} from '../../src/x509/der-reader.js';
import { splitSigned } from '../../src/x509/certificate.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('DER encoder: known vectors (X.690)', () => {
  it('encodes lengths in short and long form', () => {
    expect(hex(encodeDer(octetString(new Uint8Array(0))))).toBe('0400');
    expect(hex(encodeDer(octetString(new Uint8Array(127)))).slice(0, 4)).toBe('047f');
    expect(hex(encodeDer(octetString(new Uint8Array(128)))).slice(0, 6)).toBe('048180');
    expect(hex(encodeDer(octetString(new Uint8Array(255)))).slice(0, 6)).toBe('0481ff');
    expect(hex(encodeDer(octetString(new Uint8Array(256)))).slice(0, 8)).toBe('04820100');
    expect(hex(encodeDer(octetString(new Uint8Array(70000)))).slice(0, 10)).toBe('0483011170');
  });

  it('encodes INTEGERs minimally with a sign octet', () => {
    expect(hex(encodeDer(integer(0)))).toBe('020100');
    expect(hex(encodeDer(integer(127)))).toBe('02017f');
    expect(hex(encodeDer(integer(128)))).toBe('02020080');
    expect(hex(encodeDer(integer(256)))).toBe('02020100');
    expect(hex(encodeDer(integer(-1)))).toBe('0201ff');
    expect(hex(encodeDer(integer(-128)))).toBe('020180');
    expect(hex(encodeDer(integer(-129)))).toBe('0202ff7f');
    expect(hex(encodeDer(integerFromUnsigned(bytes('0000ff'))))).toBe('020200ff');
    expect(hex(encodeDer(integerFromUnsigned(bytes('00007f'))))).toBe('02017f');
    expect(hex(encodeDer(integerFromUnsigned(new Uint8Array(0))))).toBe('020100');
    expect(hex(encodeDer(integerFromUnsigned(bytes('000000'))))).toBe('020100');
  });

  it('encodes OIDs, including large arcs and the joint-iso-itu-t branch', () => {
    expect(hex(oid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(oid('2.5.29.17'))).toBe('0603551d11');
    expect(hex(oid('1.3.6.1.4.1.11129.2.4.3'))).toBe('060a2b06010401d679020403');
    expect(hex(oid('2.999.3'))).toBe('0603883703');
    expect(() => oid('1')).toThrow(RangeError);
    expect(() => oid('1.40')).toThrow(RangeError);
    expect(() => oid('3.1')).toThrow(RangeError);
    expect(() => oid('1.02')).toThrow(RangeError);
  });

  it('encodes BOOLEAN, NULL, BIT STRING and named bits', () => {
    expect(hex(boolean(true))).toBe('0101ff');
    expect(hex(boolean(false))).toBe('010100');
    expect(hex(NULL_DER)).toBe('0500');
    expect(hex(encodeDer(bitString(bytes('abcd'))))).toBe('030300abcd');
    // digitalSignature + keyEncipherment = bits 0 and 2: 0xa0 with 5 unused bits
    expect(hex(namedBits([0, 2]))).toBe('030205a0');
    // keyCertSign + cRLSign = bits 5 and 6: 0x06 with 1 unused bit
    expect(hex(namedBits([5, 6]))).toBe('03020106');
    // decipherOnly = bit 8 spills into a second octet
    expect(hex(namedBits([0, 8]))).toBe('0303078080');
    expect(hex(namedBits([]))).toBe('030100');
  });

  it('encodes strings and rejects characters outside their repertoire', () => {
    expect(hex(encodeDer(printableString('Ab 1')))).toBe('130441622031');
    expect(hex(encodeDer(utf8String('é')))).toBe('0c02c3a9');
    expect(hex(encodeDer(ia5String('a.b')))).toBe('1603612e62');
    expect(() => printableString('a@b')).toThrow(/PrintableString/);
    expect(() => ia5String('é')).toThrow(/IA5String/);
  });

  it('compares byte strings for equality, length first', () => {
    expect(equalBytes(bytes('0102'), bytes('0102'))).toBe(true);
    expect(equalBytes(bytes('0102'), bytes('0103'))).toBe(false);
    expect(equalBytes(bytes('0102'), bytes('010200'))).toBe(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('sorts SET OF elements (X.690 §11.6)', () => {
    const s = encodeDer(setOf(integer(2), bytes('0400'), integer(1)));
    expect(hex(s)).toBe('3108' + '020101' + '020102' + '0400');
  });

  it('nests without losing bytes, and splices precomputed chunks', () => {
    const pre = encodeDer(sequence(oid('2.5.4.3')));
    const v = sequence(explicit(0, integer(2)), pre, sequence(sequence(sequence(NULL_DER))));
    expect(hex(encodeDer(v))).toBe('3014a003020102300506035504033006300430020500');
    expect(hex(concatDer(integer(1), pre))).toBe('020101' + hex(pre));
    expect(encodeDer(pre)).toBe(pre);
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(Buffer.from(x509Time(new Date('2049-12-31T23:59:59.999Z'))).subarray(2).toString()).toBe('491231235959Z');
    expect(x509Time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(0x17);
    expect(Buffer.from(x509Time(new Date('2050-01-01T00:00:00Z'))).subarray(2).toString()).toBe('20500101000000Z');
    expect(x509Time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(0x18);
    expect(Buffer.from(x509Time(new Date('1950-01-01T00:00:00Z'))).subarray(2).toString()).toBe('500101000000Z');
    expect(x509Time(new Date('1949-12-31T23:59:59Z'))[0]).toBe(0x18);
    expect(() => utcTime(new Date('2050-01-01T00:00:00Z'))).toThrow(/2050/);
    expect(() => generalizedTime(new Date(Number.NaN))).toThrow(/invalid date/);
  });
});

describe('DER encoder: cross-check with @peculiar/asn1-schema', () => {
  it('matches AlgorithmIdentifier, BasicConstraints, KeyUsage and Validity encodings', () => {
    const alg = AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: NULL_DER.buffer.slice(0) as ArrayBuffer }));
    expect(hex(encodeDer(sequence(oid('1.2.840.113549.1.1.11'), NULL_DER)))).toBe(hex(new Uint8Array(alg)));
    const bc = AsnConvert.serialize(new BasicConstraints({ cA: true, pathLenConstraint: 0 }));
    expect(hex(encodeDer(sequence(boolean(true), integer(0))))).toBe(hex(new Uint8Array(bc)));
    const ku = AsnConvert.serialize(new KeyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment));
    expect(hex(namedBits([0, 2]))).toBe(hex(new Uint8Array(ku)));
    const nb = new Date('2030-06-01T12:00:00Z');
    const na = new Date('2055-06-01T12:00:00Z');
    const validity = AsnConvert.serialize(new Validity({ notBefore: nb, notAfter: na }));
    expect(hex(encodeDer(sequence(x509Time(nb), x509Time(na))))).toBe(hex(new Uint8Array(validity)));
  });

  it('matches INTEGER and OCTET STRING encodings for random values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (raw) => {
        const theirs = new Uint8Array(AsnConvert.serialize(new OctetString(raw)));
        expect(hex(encodeDer(octetString(raw)))).toBe(hex(theirs));
        const asBig = BigInt(`0x${hex(raw)}`);
        const int = encodeDer(integerFromUnsigned(raw));
        expect(readInteger(readSingle(int))).toBe(asBig);
        expect(hex(int)).toBe(hex(encodeDer(integer(asBig))));
        const viaPeculiar = AsnIntegerConverter.toASN(Number(asBig & 0x7fffffffn)).toBER();
        expect(hex(encodeDer(integer(Number(asBig & 0x7fffffffn))))).toBe(hex(new Uint8Array(viaPeculiar)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('DER reader', () => {
  it('round-trips OIDs, integers, booleans, bit strings, strings and times', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 70n }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 39 }),
        (first, rest, second) => {
          const dotted = [first, first === 2 ? second + 1000 : second, ...rest].join('.');
          expect(readOid(readSingle(oid(dotted)))).toBe(dotted);
        },
      ),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), (n) => {
        expect(readInteger(readSingle(encodeDer(integer(n))))).toBe(n);
      }),
    );
    expect(readBoolean(readSingle(boolean(true)))).toBe(true);
    expect(readBitString(readSingle(namedBits([5, 6])))).toEqual({ unusedBits: 1, bytes: bytes('06') });
    expect(readString(readSingle(encodeDer(utf8String('Zürich'))))).toBe('Zürich');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 11, 31) / 1000 }), (s) => {
        const d = new Date(s * 1000);
        expect(readTime(readSingle(x509Time(d))).getTime()).toBe(d.getTime());
      }),
    );
  });

  it('walks children with offsets into the original buffer', () => {
    const der = encodeDer(sequence(integer(5), octetString(bytes('aabb'))));
    const [a, b] = children(readSingle(der));
    expect(a!.tag).toBe(0x02);
    expect(hex(valueOf(b!))).toBe('aabb');
    expect(b!.start).toBe(5);
  });

  it('rejects indefinite, non-minimal and overlong lengths, truncation and trailing data', () => {
    expect(() => readTlv(bytes('3080 0000'))).toThrow(/indefinite/);
    expect(() => readTlv(bytes('04817f' + '00'.repeat(127)))).toThrow(/non-minimal length/);
    expect(() => readTlv(bytes('0482007f' + '00'.repeat(127)))).toThrow(/non-minimal length/);
    expect(() => readTlv(bytes('0485 0000000001 00'))).toThrow(/too large/);
    expect(() => readTlv(bytes('0403 aabb'))).toThrow(/past the end/);
    expect(() => readTlv(bytes('04'))).toThrow(/missing length/);
    expect(() => readTlv(bytes('1f01 00'))).toThrow(/high tag/);
    expect(() => readSingle(bytes('0500 00'))).toThrow(/trailing data/);
    expect(() => children(readSingle(bytes('3003 0402 00')))).toThrow(DerError);
    expect(() => children(readSingle(bytes('0400')))).toThrow(/not a constructed/);
  });

  it('reads back exact OIDs, and rejects empty, non-minimal and truncated ones', () => {
    for (const dotted of ['1.2.840.113549.1.1.11', '2.5.29.17', '1.3.101.112', '2.999.3', '0.9.2342.19200300.100.1.25', '1.2.18446744073709551617']) {
      expect(readOid(readSingle(oid(dotted)))).toBe(dotted);
    }
    expect(() => readOid(readSingle(bytes('0600')))).toThrow(/empty OBJECT IDENTIFIER/);
    expect(() => readOid(readSingle(bytes('0602 8001')))).toThrow(/non-minimal OID/);
    expect(() => readOid(readSingle(bytes('0601 81')))).toThrow(/truncated OID/);
  });

  it('decodes signed INTEGERs (X.690 §8.3)', () => {
    expect(readInteger(readSingle(bytes('02017f')))).toBe(127n);
    expect(readInteger(readSingle(bytes('02020080')))).toBe(128n);
    expect(readInteger(readSingle(bytes('0201ff')))).toBe(-1n);
  });

  it('requires whole-octet BIT STRINGs where keys and signatures live', () => {
    expect(hex(readBitStringOctets(readSingle(bytes('030200aa'))))).toBe('aa');
    expect(() => readBitStringOctets(readSingle(bytes('030201aa')))).toThrow(/unused bits where whole octets are required/);
  });

  it('splits a signed structure only when its signature holds whole octets', () => {
    const signed = (bits: Uint8Array): Uint8Array => encodeDer(sequence(sequence(integer(1)), sequence(oid('1.3.101.112')), tlv(0x03, bits)));
    expect(hex(splitSigned(signed(bytes('00aabb'))).signature)).toBe('aabb');
    expect(() => splitSigned(signed(bytes('01aabe')))).toThrow(/unused bits where whole octets are required/);
    expect(() => splitSigned(encodeDer(sequence(sequence(), sequence())))).toThrow(/exactly three fields/);
  });

  it('names a missing or mistagged field, and the offset of a fault when it is known', () => {
    const [only] = children(readSingle(bytes('3003 020100')));
    expect(() => expectTag(undefined, 0x02, 'publicExponent')).toThrow(/^missing publicExponent$/);
    expect(() => expectTag(only, 0x04, 'extnValue')).toThrow(/extnValue: expected tag 0x4, found 0x2 at offset 2/);
    expect(() => readSingle(bytes('0500 0000'))).toThrow(/trailing data: 2 bytes after the DER value at offset 2/);
    const err = new DerError('no position');
    expect(err.message).toBe('no position');
    expect(err.offset).toBeUndefined();
    expect(new DerError('here', 7)).toMatchObject({ message: 'here at offset 7', offset: 7, name: 'DerError' });
  });

  it('rejects non-DER primitive values', () => {
    expect(() => readBoolean(readSingle(bytes('010101')))).toThrow(/BOOLEAN is not DER/);
    expect(() => readInteger(readSingle(bytes('0202007f')))).toThrow(/non-minimal INTEGER/);
    expect(() => readInteger(readSingle(bytes('0202ff80')))).toThrow(/non-minimal INTEGER/);
    expect(() => readInteger(readSingle(bytes('0200')))).toThrow(/empty INTEGER/);
    expect(() => readOid(readSingle(bytes('0602 2a86')))).toThrow(/truncated OID/);
    expect(() => readOid(readSingle(bytes('0603 2a807f')))).toThrow(/non-minimal OID/);
    expect(() => readBitString(readSingle(bytes('0302 0101')))).toThrow(/padding bits/);
    expect(() => readBitString(readSingle(bytes('0301 01')))).toThrow(/padding/);
    expect(() => readTime(readSingle(bytes('170d' + Buffer.from('491231235959+').toString('hex'))))).toThrow(/end in Z/);
    expect(() => readTime(readSingle(bytes('170d' + Buffer.from('491331235959Z').toString('hex'))))).toThrow(/out of range/);
    const time = (tag: string, text: string): Date => readTime(readSingle(bytes(tag + Buffer.from(text).toString('hex'))));
    expect(time('170d', '240229120000Z').toISOString()).toBe('2024-02-29T12:00:00.000Z');
    expect(time('180f', '20000229000000Z').toISOString()).toBe('2000-02-29T00:00:00.000Z');
    expect(time('180f', '99991231235959Z').toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(time('180f', '01000101000000Z').getUTCFullYear()).toBe(100);
    for (const [tag, text] of [
      ['170d', '250229000000Z'],
      ['180f', '21000229000000Z'],
      ['170d', '490431000000Z'],
      ['170d', '490001000000Z'],
      ['170d', '490100000000Z'],
      ['170d', '491232000000Z'],
      ['170d', '491231240000Z'],
      ['170d', '491231236000Z'],
      ['170d', '491231235960Z'],
      ['180f', '00501231235959Z'],
      ['180f', '00990101000000Z'],
    ] as const) {
      expect(() => time(tag, text), text).toThrow(/out of range/);
    }
    expect(() => readTime(readSingle(bytes('180f' + Buffer.from('2050010100000aZ').toString('hex'))))).toThrow(/bad digit/);
    expect(() => readTime(readSingle(bytes('0400')))).toThrow(/UTCTime or GeneralizedTime/);
    expect(() => readTime(readSingle(encodeDer(tlv(0x17, Buffer.from('4912312359Z')))))).toThrow(/YYMMDDHHMMSSZ/);
  });
});
