import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FakeClock, IssuerSet, MemoryStore, createRootCa, cryptoRandom, der, isCertwrightError, type Issuer } from '@certwright/core';
import { CERT_ID_HASH_OIDS, OCSP_OIDS, createOcspResponder, decodeGetPath, ocspErrorResponse, parseOcspRequest, type OcspResponder } from '../src/index.js';

interface RequestShape {
  hashOid?: string;
  params?: 'null' | 'absent' | 'int';
  nameHash?: Uint8Array;
  keyHash?: Uint8Array;
  serial?: der.Der;
  count?: number;
  nonce?: Uint8Array;
  version?: number;
  requestExtensions?: der.Der[];
}

/** A DER OCSPRequest built field by field, so each test can break one thing. */
function buildRequest(s: RequestShape = {}): Uint8Array {
  const hashOid = s.hashOid ?? CERT_ID_HASH_OIDS.sha1;
  const len = hashOid === CERT_ID_HASH_OIDS.sha256 ? 32 : 20;
  const alg = s.params === 'absent' ? der.sequence(der.oid(hashOid)) : s.params === 'int' ? der.sequence(der.oid(hashOid), der.integer(0)) : der.sequence(der.oid(hashOid), der.NULL_DER);
  const certId = der.sequence(alg, der.octetString(s.nameHash ?? new Uint8Array(len).fill(1)), der.octetString(s.keyHash ?? new Uint8Array(len).fill(2)), s.serial ?? der.integer(0x1234n));
  const requests = Array.from({ length: s.count ?? 1 }, () => der.sequence(certId));
  const tbs: der.Der[] = [];
  if (s.version !== undefined) tbs.push(der.explicit(0, der.integer(s.version)));
  tbs.push(der.sequence(...requests));
  const exts: der.Der[] = [...(s.requestExtensions ?? [])];
  if (s.nonce !== undefined) exts.push(der.sequence(der.oid(OCSP_OIDS.nonce), der.octetString(der.octetString(s.nonce))));
  if (exts.length > 0) tbs.push(der.explicit(2, der.sequence(...exts)));
  return der.encodeDer(der.sequence(der.sequence(...tbs)));
}

function expectMalformed(fn: () => unknown, rule: string): void {
  try {
    fn();
  } catch (e) {
    expect(isCertwrightError(e, 'malformed'), String(e)).toBe(true);
    expect((e as Error).message).toContain(rule);
    return;
  }
  throw new Error(`expected malformed: ${rule}`);
}

describe('parseOcspRequest', () => {
  it('reads a SHA-1 CertID with NULL or absent parameters, and a SHA-256 one', () => {
    const r = parseOcspRequest(buildRequest());
    expect(r.certId).toMatchObject({ hashAlgorithm: 'sha1', serial: '1234', serialPositive: true });
    expect(r.certId.issuerNameHash).toEqual(new Uint8Array(20).fill(1));
    expect(parseOcspRequest(buildRequest({ params: 'absent' })).certId.hashAlgorithm).toBe('sha1');
    expect(parseOcspRequest(buildRequest({ hashOid: CERT_ID_HASH_OIDS.sha256 })).certId.hashAlgorithm).toBe('sha256');
    expect(parseOcspRequest(buildRequest({ version: 0 })).certId.serial).toBe('1234');
  });

  it('keeps serials in the store form and flags non-positive ones', () => {
    expect(parseOcspRequest(buildRequest({ serial: der.integerFromUnsigned(Uint8Array.of(0x80, 1)) })).certId.serial).toBe('008001');
    expect(parseOcspRequest(buildRequest({ serial: der.integer(-5) })).certId.serialPositive).toBe(false);
    expect(parseOcspRequest(buildRequest({ serial: der.integer(0) })).certId.serialPositive).toBe(false);
  });

  it('returns the nonce extension value', () => {
    const r = parseOcspRequest(buildRequest({ nonce: Uint8Array.of(9, 9, 9) }));
    expect(r.nonce).toEqual(Uint8Array.of(0x04, 3, 9, 9, 9));
  });

  const valid = buildRequest();
  const cases: [string, Uint8Array, string][] = [
    ['garbage', Uint8Array.from(Buffer.from('hello, responder')), 'not valid DER'],
    ['empty', new Uint8Array(0), 'not valid DER'],
    ['trailing bytes', Uint8Array.from([...valid, 0]), 'trailing data'],
    ['truncated', valid.subarray(0, valid.length - 3), 'not valid DER'],
    ['indefinite length', Uint8Array.from([0x30, 0x80, ...valid.subarray(2), 0, 0]), 'indefinite length'],
    ['unknown hash algorithm (MD5)', buildRequest({ hashOid: '1.2.840.113549.2.5' }), 'unsupported CertID hash algorithm 1.2.840.113549.2.5'],
    ['hash of the wrong length', buildRequest({ nameHash: new Uint8Array(19) }), 'issuerNameHash must be 20 octets'],
    ['key hash of the wrong length', buildRequest({ hashOid: CERT_ID_HASH_OIDS.sha256, keyHash: new Uint8Array(20) }), 'issuerKeyHash must be 32 octets'],
    ['hash parameters other than NULL', buildRequest({ params: 'int' }), 'parameters must be absent or NULL'],
    ['two requests', buildRequest({ count: 2 }), 'exactly one Request'],
    ['no request', buildRequest({ count: 0 }), 'requestList is empty'],
    ['version v2', buildRequest({ version: 1 }), 'version must be v1'],
    ['non-minimal serial', buildRequest({ serial: Uint8Array.of(0x02, 0x02, 0x00, 0x01) }), 'non-minimal INTEGER'],
    ['unknown critical extension', buildRequest({ requestExtensions: [der.sequence(der.oid('1.2.3.4'), der.boolean(true), der.octetString(Uint8Array.of(5, 0)))] }), 'unsupported critical extension 1.2.3.4'],
    ['critical FALSE encoded', buildRequest({ requestExtensions: [der.sequence(der.oid('1.2.3.4'), der.boolean(false), der.octetString(Uint8Array.of(5, 0)))] }), 'default critical FALSE'],
    ['duplicate extension', buildRequest({ nonce: Uint8Array.of(1), requestExtensions: [der.sequence(der.oid(OCSP_OIDS.nonce), der.octetString(Uint8Array.of(4, 0)))] }), 'duplicate extension'],
    ['not a SEQUENCE', der.encodeDer(der.octetString(valid)), 'OCSPRequest: expected tag 0x30'],
    ['three top-level fields', der.encodeDer(der.sequence(der.sequence(der.sequence()), der.explicit(0, der.sequence()), der.NULL_DER)), 'OCSPRequest must have 1 or 2 fields'],
    ['a second field other than [0]', der.encodeDer(der.sequence(der.sequence(der.sequence()), der.NULL_DER)), 'optionalSignature must be [0]'],
    ['an unknown TBSRequest field', der.encodeDer(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence())), der.NULL_DER))), 'TBSRequest has unexpected fields'],
    ['a CertID of three fields', der.encodeDer(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.oid(CERT_ID_HASH_OIDS.sha1)), der.octetString(new Uint8Array(20)), der.octetString(new Uint8Array(20)))))))), 'CertID must have 4 fields, found 3'],
    ['a hashAlgorithm of three fields', der.encodeDer(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.oid(CERT_ID_HASH_OIDS.sha1), der.NULL_DER, der.NULL_DER), der.octetString(new Uint8Array(20)), der.octetString(new Uint8Array(20)), der.integer(1))))))), 'hashAlgorithm has more than two fields'],
    ['a Request with a second field other than [0]', der.encodeDer(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.sequence(der.oid(CERT_ID_HASH_OIDS.sha1)), der.octetString(new Uint8Array(20)), der.octetString(new Uint8Array(20)), der.integer(1)), der.NULL_DER))))), 'singleRequestExtensions must be [0]'],
    ['an extension with trailing fields', buildRequest({ requestExtensions: [der.sequence(der.oid('1.2.3.4'), der.octetString(Uint8Array.of(5, 0)), der.NULL_DER)] }), 'extension 1.2.3.4 has trailing fields'],
    ['requestExtensions wrapping two values', der.encodeDer(der.sequence(der.sequence(der.sequence(), der.explicit(2, der.sequence(), der.sequence())))), 'requestExtensions must wrap one Extensions SEQUENCE'],
  ];
  for (const [name, bytes, rule] of cases) {
    it(`rejects ${name} as malformed`, () => expectMalformed(() => parseOcspRequest(bytes), rule));
  }
});

describe('decodeGetPath', () => {
  const bytes = Uint8Array.from({ length: 60 }, (_, i) => (i * 37 + 250) & 0xff);
  const b64 = Buffer.from(bytes).toString('base64');

  it('accepts the encodings clients produce', () => {
    expect(b64).toMatch(/[+/]/);
    for (const encoded of [
      b64,
      encodeURIComponent(b64),
      b64.replaceAll('/', '%2f').replaceAll('+', '%2B').replaceAll('=', '%3D'),
      b64.replaceAll('+', ' '),
      Buffer.from(bytes).toString('base64url'),
      b64.replace(/=+$/, ''),
    ]) {
      expect(decodeGetPath(encoded), encoded).toEqual(bytes);
    }
  });

  const bad: [string, string][] = [
    ['', 'no request'],
    ['%ZZ', 'percent-encoding'],
    ['MEM!', 'not base64'],
    ['M', 'impossible'],
    ['MEM==', 'padding is wrong'],
    ['MEN=', 'non-zero padding bits'],
    ['A'.repeat(2000), 'longer than'],
  ];
  for (const [encoded, rule] of bad) {
    it(`rejects ${JSON.stringify(encoded.slice(0, 12))} as malformed (${rule})`, () => expectMalformed(() => decodeGetPath(encoded), rule));
  }
});

describe('hostile requests at the handler', () => {
  let issuer: Issuer;
  let responder: OcspResponder;
  const MALFORMED = ocspErrorResponse('malformedRequest');

  beforeAll(async () => {
    const clock = new FakeClock();
    issuer = await createRootCa({ subject: [{ type: 'CN', value: 'R' }], keyType: 'P-256', validitySeconds: 86400 * 400, clock, random: cryptoRandom() });
    responder = await createOcspResponder({ store: new MemoryStore(), issuers: new IssuerSet([issuer]), clock });
  });

  const post = (body: Uint8Array, type = 'application/ocsp-request') =>
    responder.handle({ method: 'POST', url: 'http://ocsp.test/', headers: { 'content-type': type }, body });
  const get = (path: string) => responder.handle({ method: 'GET', url: `http://ocsp.test/${path}`, headers: {}, body: undefined });

  it('answers every hostile request with malformedRequest and HTTP 200', async () => {
    const valid = buildRequest();
    const responses = [
      await post(Uint8Array.from(Buffer.from('garbage'))),
      await post(Uint8Array.from([...valid, 0, 0])),
      await post(new Uint8Array(5000).fill(0x30)),
      await post(valid, 'application/octet-stream'),
      await post(buildRequest({ hashOid: '2.16.840.1.101.3.4.2.3' })),
      await post(buildRequest({ count: 3 })),
      await responder.handle({ method: 'POST', url: 'http://ocsp.test/', headers: { 'content-type': 'application/ocsp-request' }, body: undefined }),
      await get('!!!!'),
      await get('%E0%A4%A'),
      await get(Buffer.from('not der at all').toString('base64')),
    ];
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/ocsp-response');
      expect(Buffer.from(r.body as Uint8Array).equals(Buffer.from(MALFORMED))).toBe(true);
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });

  it('answers a well-formed request for an unknown issuer with unauthorized', async () => {
    const r = await post(buildRequest());
    expect(Buffer.from(r.body as Uint8Array).equals(Buffer.from(ocspErrorResponse('unauthorized')))).toBe(true);
  });

  it('answers other methods with 405 and other paths with 404', async () => {
    const put = await responder.handle({ method: 'PUT', url: 'http://ocsp.test/abc', headers: {}, body: undefined });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
    const scoped = await createOcspResponder({ store: new MemoryStore(), issuers: new IssuerSet([issuer]), clock: new FakeClock(), ocspPath: '/ocsp/' });
    expect((await scoped.handle({ method: 'GET', url: '/elsewhere/MEM', headers: {}, body: undefined })).status).toBe(404);
    expect((await scoped.handle({ method: 'POST', url: '/ocsp', headers: { 'content-type': 'application/ocsp-request' }, body: buildRequest() })).status).toBe(200);
  });

  it('never crashes on random bytes, over POST or GET', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const a = await post(bytes);
        const b = await get(encodeURIComponent(Buffer.from(bytes).toString('base64')));
        for (const r of [a, b]) {
          expect(r.status).toBe(200);
          const body = Buffer.from(r.body as Uint8Array);
          expect(body.equals(Buffer.from(MALFORMED)) || body.equals(Buffer.from(ocspErrorResponse('unauthorized')))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
