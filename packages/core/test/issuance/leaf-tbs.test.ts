import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { FakeClock } from '../../src/clock.js';
import { CertwrightError } from '../../src/errors.js';
import { seededRandom } from '../../src/random.js';
import { generateSoftwareSigner, type SoftwareSigner } from '../../src/signers/software.js';
import { createRootCa } from '../../src/issuance/bootstrap.js';
import { crlShardForSerial, crlUrlFor } from '../../src/issuance/crl-url.js';
import type { Issuer } from '../../src/issuance/issuer.js';
import { createLeafTbsBuilder } from '../../src/issuance/leaf-tbs.js';
import { computeValidity, defaultProfiles, defineProfile, type Profile } from '../../src/issuance/profile.js';
import { compareCtPair, tbsEqualExceptPoisonAndScts } from '../../src/x509/ct.js';
import { encodeDer, sequence, integer } from '../../src/x509/der.js';
import { distributionPointName } from '../../src/x509/extensions.js';
import { EXTENSION_OIDS } from '../../src/x509/oids.js';
import { decodeTbs, encodeTbs } from '../../src/x509/tbs.js';
import { signTbs } from '../../src/x509/certificate.js';
import { dns, ip, testSerial } from './helpers.js';

const clock = new FakeClock('2026-03-01T00:00:00Z');
let issuer: Issuer;
let ecKey: SoftwareSigner;
let edKey: SoftwareSigner;
let profile: Profile;

beforeAll(async () => {
  issuer = await createRootCa({ subject: [{ type: 'CN', value: 'Leaf Builder Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random: seededRandom(11), id: 'root-a' });
  ecKey = await generateSoftwareSigner('P-256');
  edKey = await generateSoftwareSigner('Ed25519');
  profile = defineProfile({ ...defaultProfiles()[0]!, crl: { urlTemplate: 'http://crl.example.test/{issuerId}/{shard}.crl', shardCount: 7 } });
}, 60_000);

function input(serial = testSerial(1)) {
  return { serial, spki: ecKey.publicKeySpki, identifiers: [dns('www.example.com'), ip('192.0.2.9')], ...computeValidity(profile, issuer, clock.now()) };
}

describe('CT precertificate and final TBS', () => {
  it('are equal except poison ↔ SCT list at the same (last) position', () => {
    const builder = createLeafTbsBuilder(issuer, profile);
    const pair = builder.buildCtPair(input());
    const sctList = Uint8Array.of(0, 4, 0, 2, 0xab, 0xcd);
    const final = pair.final(sctList);
    expect(compareCtPair(pair.precertificate.tbs, final.tbs)).toEqual({ ok: true });
    expect(tbsEqualExceptPoisonAndScts(pair.precertificate.tbs, final.tbs)).toBe(true);
    const pre = decodeTbs(pair.precertificate.tbs);
    const fin = decodeTbs(final.tbs);
    const last = pre.extensions.length - 1;
    expect(pre.extensions[last]).toMatchObject({ oid: EXTENSION_OIDS.ctPrecertificatePoison, critical: true });
    expect(Buffer.from(pre.extensions[last]!.value).toString('hex')).toBe('0500');
    expect(fin.extensions[last]).toMatchObject({ oid: EXTENSION_OIDS.ctSctList, critical: false });
    expect(Buffer.from(fin.extensions[last]!.value).toString('hex')).toBe('040600040002abcd');
    // Without CT the TBS has neither.
    const plain = decodeTbs(builder.build(input()).tbs);
    expect(plain.extensions.map((e) => e.oid)).not.toContain(EXTENSION_OIDS.ctPrecertificatePoison);
    expect(plain.extensions.length).toBe(pre.extensions.length - 1);
  });

  it('a tampered final TBS, a missing poison or garbage fail the check with a reason', () => {
    const builder = createLeafTbsBuilder(issuer, profile);
    const pair = builder.buildCtPair(input());
    const otherSerial = builder.buildCtPair(input(testSerial(2))).final(Uint8Array.of(0, 0));
    expect(compareCtPair(pair.precertificate.tbs, otherSerial.tbs)).toEqual({ ok: false, reason: 'serial differs' });
    const otherNames = builder.buildCtPair({ ...input(), identifiers: [dns('www.example.com'), ip('192.0.2.10')] }).final(Uint8Array.of(0, 0));
    expect(compareCtPair(pair.precertificate.tbs, otherNames.tbs)).toMatchObject({ ok: false, reason: expect.stringMatching(/extension \d+ \(2\.5\.29\.17\) differs/) });
    const later = builder.buildCtPair({ ...input(), notAfter: new Date(input().notAfter.getTime() - 1000) }).final(Uint8Array.of(0, 0));
    expect(compareCtPair(pair.precertificate.tbs, later.tbs)).toEqual({ ok: false, reason: 'notAfter differs' });
    const plain = builder.build(input()).tbs;
    expect(compareCtPair(plain, plain)).toEqual({ ok: false, reason: 'the precertificate has no poison extension' });
    expect(compareCtPair(pair.precertificate.tbs, plain)).toEqual({ ok: false, reason: 'extension count differs' });
    expect(compareCtPair(pair.precertificate.tbs, pair.precertificate.tbs)).toMatchObject({ ok: false, reason: expect.stringMatching(/poison not replaced/) });
    expect(compareCtPair(Uint8Array.of(1, 2), plain)).toMatchObject({ ok: false, reason: expect.stringMatching(/^malformed TBS/) });
    expect(tbsEqualExceptPoisonAndScts(pair.precertificate.tbs, otherSerial.tbs)).toBe(false);
  });

  it('a signed precertificate shows the poison to openssl-compatible parsers', async () => {
    const pair = createLeafTbsBuilder(issuer, profile).buildCtPair(input());
    const der = await signTbs(pair.precertificate.tbs, issuer.signatureAlgorithmDer, issuer.signer);
    const cert = new x509.X509Certificate(der);
    expect(cert.extensions.find((e) => e.type === EXTENSION_OIDS.ctPrecertificatePoison)?.critical).toBe(true);
  });
});

describe('leaf builder rules', () => {
  it('places the CRL URL of the serial’s shard, reproducible by crlUrlFor', () => {
    const builder = createLeafTbsBuilder(issuer, profile);
    for (const seed of [1, 2, 3, 4]) {
      const serial = testSerial(seed);
      const built = builder.build(input(serial));
      const shard = crlShardForSerial(serial, 7);
      expect(built.crlShard).toBe(shard);
      expect(shard).toBe(Number(BigInt(`0x${Buffer.from(serial).toString('hex')}`) % 7n));
      const url = crlUrlFor(profile, issuer, shard)!;
      expect(url).toBe(`http://crl.example.test/root-a/${shard}.crl`);
      const crldp = decodeTbs(built.tbs).extensions.find((e) => e.oid === EXTENSION_OIDS.cRLDistributionPoints)!;
      const dpName = distributionPointName(url);
      expect(Buffer.from(crldp.value).toString('hex')).toContain(Buffer.from(dpName).toString('hex'));
    }
    expect(crlShardForSerial('0a', 4)).toBe(2);
    expect(crlShardForSerial('abc', 1000)).toBe(0xabc % 1000);
    expect(crlShardForSerial(1000n, 7)).toBe(1000 % 7);
    expect(() => crlShardForSerial('01', 0)).toThrow(/shardCount/);
    expect(crlUrlFor(defaultProfiles()[0]!, issuer, 0)).toBeUndefined();
  });

  it('uses the first DNS name of at most 64 characters as CN, or none', () => {
    const long = `${'a'.repeat(60)}.example.com`;
    const built = createLeafTbsBuilder(issuer, profile).build({ ...input(), identifiers: [ip('192.0.2.1'), dns(long), dns('short.example.com')] });
    expect(built.commonName).toBe('short.example.com');
    const none = createLeafTbsBuilder(issuer, profile).build({ ...input(), identifiers: [ip('192.0.2.1')] });
    expect(none.commonName).toBeUndefined();
    expect(Buffer.from(decodeTbs(none.tbs).subject).toString('hex')).toBe('3000');
    const sanExt = decodeTbs(none.tbs).extensions.find((e) => e.oid === EXTENSION_OIDS.subjectAltName)!;
    expect(sanExt.critical).toBe(true);
  });

  it('refuses key types the profile does not allow, and too many names', () => {
    const ecOnly = defineProfile({ ...profile, name: 'ec-only', allowedKeyTypes: ['P-256'], maxNames: 2 });
    const builder = createLeafTbsBuilder(issuer, ecOnly);
    let err: unknown;
    try {
      builder.build({ ...input(), spki: edKey.publicKeySpki });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CertwrightError);
    expect((err as CertwrightError).code).toBe('badKey');
    expect((err as CertwrightError).detail).toMatch(/profile "ec-only" does not allow key type Ed25519/);
    expect(() => builder.build({ ...input(), identifiers: [dns('a.example'), dns('b.example'), dns('c.example')] })).toThrow(
      expect.objectContaining({ code: 'rejectedIdentifier', detail: expect.stringMatching(/at most 2 identifiers, got 3/) }),
    );
    expect(() => builder.build({ ...input(), identifiers: [] })).toThrow(expect.objectContaining({ code: 'malformed' }));
  });

  it('uses digitalSignature only for Ed25519 leaves and an explicit key usage when configured', () => {
    const ed = createLeafTbsBuilder(issuer, profile).build({ ...input(), spki: edKey.publicKeySpki });
    const ku = decodeTbs(ed.tbs).extensions.find((e) => e.oid === EXTENSION_OIDS.keyUsage)!;
    expect(Buffer.from(ku.value).toString('hex')).toBe('03020780');
    const explicit = defineProfile({ ...profile, name: 'explicit-ku', keyUsage: ['digitalSignature', 'keyAgreement'] });
    const built = createLeafTbsBuilder(issuer, explicit).build(input());
    const ku2 = decodeTbs(built.tbs).extensions.find((e) => e.oid === EXTENSION_OIDS.keyUsage)!;
    expect(Buffer.from(ku2.value).toString('hex')).toBe('03020388');
  });

  it('encodeTbs and decodeTbs round-trip', () => {
    const fields = {
      serial: testSerial(9),
      signatureAlgorithm: issuer.signatureAlgorithmDer,
      issuer: issuer.subjectDer,
      notBefore: new Date('2030-01-01T00:00:00Z'),
      notAfter: new Date('2060-01-01T00:00:00Z'),
      subject: issuer.subjectDer,
      spki: ecKey.publicKeySpki,
      extensions: [encodeDer(sequence(Uint8Array.of(6, 3, 0x55, 0x1d, 0x13), Uint8Array.of(1, 1, 0xff), Uint8Array.of(4, 2, 0x30, 0)))],
    };
    const d = decodeTbs(encodeTbs(fields));
    expect(d.version).toBe(2);
    expect(Buffer.from(d.serial).equals(Buffer.from(testSerial(9)))).toBe(true);
    expect(d.notAfter.toISOString()).toBe('2060-01-01T00:00:00.000Z');
    expect(d.extensions).toMatchObject([{ oid: '2.5.29.19', critical: true }]);
    expect(() => decodeTbs(encodeDer(sequence(integer(1))))).toThrow(/missing signature/);
  });
});
