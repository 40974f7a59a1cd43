import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name as AsnName, NameConstraints as AsnNameConstraints, CRLDistributionPoints, AuthorityInfoAccessSyntax, CertificatePolicies } from '@peculiar/asn1-x509';
import { generateSoftwareSigner } from '../../src/signers/software.js';
import { readSingle, children, readTlv, valueOf } from '../../src/x509/der-reader.js';
import {
  authorityInfoAccessExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  ctPoisonExtension,
  distributionPointName,
  extKeyUsageExtension,
  keyUsageExtension,
  mustStapleExtension,
  nameConstraintsExtension,
  sctListExtension,
  subjectAltNameExtension,
} from '../../src/x509/extensions.js';
import { bitString, encodeDer, NULL_DER, oid, sequence, tlv } from '../../src/x509/der.js';
import { bytesToIp, cidrToBytes, ipToBytes } from '../../src/x509/ip.js';
import { formatIp, parseIp } from '../../src/policy/ip-address.js';
import { commonNameOf, decodeName, encodeName, leafSubject } from '../../src/x509/name.js';
import { keyIdentifier, parseSpki, readSpkiFields, spkiFamily } from '../../src/x509/spki.js';
import { parsePublicKeyInfo } from '../../src/keys/spki.js';
import { DerError } from '../../src/x509/der-reader.js';

const hex = (b: Uint8Array | ArrayBuffer): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/** The extnValue content of an encoded Extension. */
function extnValue(ext: Uint8Array): { critical: boolean; value: Uint8Array } {
  const parts = children(readSingle(ext));
  return { critical: parts.length === 3, value: valueOf(parts[parts.length - 1]!) };
}

describe('names', () => {
  it('encodes RDNs in order with PrintableString or UTF8String, as @peculiar reads them', () => {
    const der = encodeName([
      { type: 'C', value: 'DE' },
      { type: 'ST', value: 'Baden-Württemberg' },
      { type: 'O', value: 'Example GmbH' },
      { type: 'OU', value: 'PKI' },
      { type: 'CN', value: 'Example Root' },
      { type: 'serialNumber', value: '42' },
      { type: 'emailAddress', value: 'pki@example.com' },
    ]);
    const name = new x509.Name(der);
    expect(name.toString()).toBe('C=DE, ST=Baden-Württemberg, O=Example GmbH, OU=PKI, CN=Example Root, 2.5.4.5=42, E=pki@example.com');
    const parsed = AsnConvert.parse(der, AsnName);
    expect(parsed[1]![0]!.value.utf8String).toBe('Baden-Württemberg');
    expect(parsed[2]![0]!.value.printableString).toBe('Example GmbH');
    expect(decodeName(der).map((a) => a.type)).toEqual(['C', 'ST', 'O', 'OU', 'CN', 'serialNumber', 'emailAddress']);
    expect(commonNameOf(der)).toBe('Example Root');
  });

  it('leaf subjects: CN only, or the empty Name', () => {
    expect(hex(leafSubject(undefined))).toBe('3000');
    expect(leafSubject('www.example.com')).toEqual(encodeName([{ type: 'CN', value: 'www.example.com' }]));
    expect(new x509.Name(leafSubject('*.example.com')).toString()).toBe('CN=*.example.com');
    expect(commonNameOf(leafSubject(undefined))).toBeUndefined();
  });

  it('rejects empty, too long and malformed attribute values, naming the attribute', () => {
    expect(() => encodeName([{ type: 'CN', value: '' }])).toThrow(/attribute CN must have 1 to 64/);
    expect(() => encodeName([{ type: 'O', value: 'x'.repeat(65) }])).toThrow(/attribute O must have 1 to 64/);
    expect(() => encodeName([{ type: 'C', value: 'de' }])).toThrow(/attribute C must be two uppercase/);
    expect(() => encodeName([{ type: 'serialNumber', value: 'a_b' }])).toThrow(/PrintableString/);
    expect(() => encodeName([{ type: 'XX' as never, value: 'a' }])).toThrow(/unknown name attribute type XX/);
    expect(() => leafSubject('x'.repeat(65))).toThrow(/attribute CN/);
  });
});

describe('IP addresses', () => {
  it('converts text to bytes and back, canonically', () => {
    expect(hex(ipToBytes('192.0.2.1'))).toBe('c0000201');
    expect(hex(ipToBytes('2001:db8::1'))).toBe('20010db8000000000000000000000001');
    expect(hex(ipToBytes('::'))).toBe('0'.repeat(32));
    expect(hex(ipToBytes('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(hex(ipToBytes('fe80:1:2:3:4:5:6:7'))).toBe('fe800001000200030004000500060007');
    expect(bytesToIp(ipToBytes('2001:0db8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1');
    expect(bytesToIp(ipToBytes('1:0:2:0:3:0:4:0'))).toBe('1:0:2:0:3:0:4:0');
    expect(bytesToIp(ipToBytes('::1'))).toBe('::1');
    expect(bytesToIp(ipToBytes('10.0.0.1'))).toBe('10.0.0.1');
    expect(() => ipToBytes('example.com')).toThrow(/not an IP address/);
    expect(() => ipToBytes('fe80::1%eth0')).toThrow();
    expect(() => bytesToIp(new Uint8Array(5))).toThrow(/4 or 16 octets/);
  });

  it('parses and formats with the identifier policy, so SANs and identifiers agree', () => {
    // One formatter: IPv4-mapped addresses are written as RFC 5952 §5 says, as formatIp writes them.
    expect(bytesToIp(ipToBytes('::ffff:192.0.2.1'))).toBe(formatIp(parseIp('::ffff:192.0.2.1')));
    expect(bytesToIp(ipToBytes('::FFFF:c000:0201'))).toBe('::ffff:192.0.2.1');
    // One parser: what the identifier policy refuses is refused here too, with its reason, as a RangeError.
    expect(() => ipToBytes('010.0.0.1')).toThrow(RangeError);
    expect(() => ipToBytes('010.0.0.1')).toThrow(/not an IP address: 010\.0\.0\.1 \(IPv4 octet "010" has a leading zero/);
    expect(() => ipToBytes('[::1]')).toThrow(/without brackets/);
  });

  it('encodes CIDR ranges as address + mask and rejects host bits', () => {
    expect(hex(cidrToBytes('10.0.0.0/8'))).toBe('0a000000ff000000');
    expect(hex(cidrToBytes('192.168.16.0/20'))).toBe('c0a81000fffff000');
    expect(hex(cidrToBytes('fd00::/8'))).toBe('fd' + '0'.repeat(30) + 'ff' + '0'.repeat(30));
    expect(() => cidrToBytes('10.0.0.1/8')).toThrow(/host bits/);
    expect(() => cidrToBytes('10.0.0.0/33')).toThrow(/prefix/);
    expect(() => cidrToBytes('10.0.0.0')).toThrow(/CIDR/);
    expect(() => cidrToBytes('10.0.0.0/08')).toThrow(/prefix length must be 0 to 32/);
    expect(hex(cidrToBytes('::ffff:10.0.0.0/104'))).toBe('0'.repeat(20) + 'ffff0a000000' + 'f'.repeat(26) + '000000');
  });
});

describe('extensions', () => {
  it('basicConstraints and keyUsage are critical and encode as RFC 5280 says', () => {
    expect(hex(basicConstraintsExtension({ ca: false }))).toBe('300c0603551d130101ff04023000');
    expect(hex(basicConstraintsExtension({ ca: true }))).toBe('300f0603551d130101ff040530030101ff');
    expect(hex(basicConstraintsExtension({ ca: true, pathLen: 1 }))).toBe('30120603551d130101ff040830060101ff020101');
    expect(() => basicConstraintsExtension({ ca: true, pathLen: -1 })).toThrow(/pathLen/);
    expect(hex(keyUsageExtension(['digitalSignature']))).toBe('300e0603551d0f0101ff040403020780');
    expect(() => keyUsageExtension([])).toThrow(/at least one/);
    expect(() => extKeyUsageExtension([])).toThrow(/at least one/);
  });

  it('SAN is critical only for an empty subject, with dNSName and iPAddress entries', () => {
    const ids = [{ type: 'dns' as const, value: 'a.example' }, { type: 'ip' as const, value: '::1' }];
    const plain = extnValue(encodeDer(subjectAltNameExtension(ids, false)));
    expect(plain.critical).toBe(false);
    const critical = extnValue(encodeDer(subjectAltNameExtension(ids, true)));
    expect(critical.critical).toBe(true);
    const names = new x509.GeneralNames(critical.value.slice().buffer);
    expect(names.toJSON()).toEqual([{ type: 'dns', value: 'a.example' }, { type: 'ip', value: '::1' }]);
    expect(() => subjectAltNameExtension([], true)).toThrow(/at least one name/);
  });

  it('AIA, CRL distribution points and policies parse with @peculiar/asn1-x509', () => {
    const aia = AsnConvert.parse(extnValue(authorityInfoAccessExtension({ ocspUrls: ['http://o.example'], caIssuersUrls: ['http://c.example/ca.der'] })).value, AuthorityInfoAccessSyntax);
    expect(aia.map((a) => [a.accessMethod, a.accessLocation.uniformResourceIdentifier])).toEqual([
      ['1.3.6.1.5.5.7.48.1', 'http://o.example'],
      ['1.3.6.1.5.5.7.48.2', 'http://c.example/ca.der'],
    ]);
    expect(() => authorityInfoAccessExtension({})).toThrow(/at least one URL/);
    const crldp = AsnConvert.parse(extnValue(crlDistributionPointsExtension('http://crl.example/1/3.crl')).value, CRLDistributionPoints);
    expect(crldp[0]!.distributionPoint!.fullName![0]!.uniformResourceIdentifier).toBe('http://crl.example/1/3.crl');
    expect(hex(distributionPointName('http://x'))).toBe('a00ca00a8608687474703a2f2f78');
    const cp = AsnConvert.parse(extnValue(certificatePoliciesExtension(['2.23.140.1.2.1', '1.3.6.1.4.1.44947.1.1.1'])).value, CertificatePolicies);
    expect(cp.map((p) => p.policyIdentifier)).toEqual(['2.23.140.1.2.1', '1.3.6.1.4.1.44947.1.1.1']);
    expect(() => certificatePoliciesExtension([])).toThrow(/at least one policy/);
  });

  it('must-staple, CT poison and SCT list have their fixed encodings', () => {
    expect(hex(mustStapleExtension())).toBe('301106082b0601050507011804053003020105');
    expect(hex(extnValue(mustStapleExtension()).value)).toBe('3003020105');
    expect(hex(ctPoisonExtension())).toBe('3013060a2b06010401d679020403' + '0101ff' + '04020500');
    const sct = extnValue(encodeDer(sctListExtension(Uint8Array.of(0, 2, 0, 0))));
    expect(sct.critical).toBe(false);
    expect(hex(sct.value)).toBe('040400020000');
  });

  it('name constraints: permitted and excluded DNS and IP subtrees', () => {
    const ext = extnValue(nameConstraintsExtension({ permittedDns: ['corp.example'], permittedIp: ['10.0.0.0/8'], excludedDns: ['.secret.corp.example'], excludedIp: ['fd00::/8'] }));
    expect(ext.critical).toBe(true);
    const nc = AsnConvert.parse(ext.value, AsnNameConstraints);
    expect(nc.permittedSubtrees!.map((s) => s.base.dNSName ?? s.base.iPAddress)).toHaveLength(2);
    expect(nc.permittedSubtrees![0]!.base.dNSName).toBe('corp.example');
    expect(nc.excludedSubtrees![0]!.base.dNSName).toBe('.secret.corp.example');
    expect(() => nameConstraintsExtension({})).toThrow(/at least one subtree/);
    const onlyExcluded = extnValue(nameConstraintsExtension({ excludedDns: ['x.example'] }));
    expect(readTlv(onlyExcluded.value, readSingle(onlyExcluded.value).valueStart).tag).toBe(0xa1);
  });
});

describe('SPKI', () => {
  it('detects key types and computes the RFC 7093 key identifier', async () => {
    for (const t of ['P-256', 'P-384', 'RSA-2048', 'Ed25519'] as const) {
      const key = await generateSoftwareSigner(t);
      const info = parseSpki(key.publicKeySpki);
      expect(info.keyType).toBe(t);
      expect(spkiFamily(key.publicKeySpki)).toBe(info.family);
      expect(keyIdentifier(key.publicKeySpki)).toHaveLength(20);
    }
    const p521 = await generateSoftwareSigner('P-521');
    expect(parseSpki(p521.publicKeySpki)).toMatchObject({ keyType: undefined, family: 'ec' });
    const rsa = parseSpki((await generateSoftwareSigner('RSA-2048')).publicKeySpki);
    expect(rsa.rsaModulusBits).toBe(2048);
    const { createHash } = await import('node:crypto');
    const k = await generateSoftwareSigner('P-256');
    expect(hex(keyIdentifier(k.publicKeySpki))).toBe(createHash('sha256').update(parseSpki(k.publicKeySpki).subjectPublicKey).digest('hex').slice(0, 40));
  });

  it('reads the same fields as the key policy parser, and refuses what it refuses', async () => {
    for (const t of ['P-256', 'RSA-2048', 'Ed25519'] as const) {
      const spki = (await generateSoftwareSigner(t)).publicKeySpki;
      const fields = readSpkiFields(spki);
      expect(parseSpki(spki)).toMatchObject({ algorithmOid: fields.algorithmOid, subjectPublicKey: fields.subjectPublicKey });
      expect(parsePublicKeyInfo(spki).kind).toBe(parseSpki(spki).family);
    }
    const ed = encodeDer(sequence(sequence(oid('1.3.101.112')), bitString(new Uint8Array(32))));
    const extraField = encodeDer(sequence(sequence(oid('1.3.101.112')), bitString(new Uint8Array(32)), bitString(new Uint8Array(1))));
    const threeAlgorithmFields = encodeDer(sequence(sequence(oid('1.3.101.112'), NULL_DER, NULL_DER), bitString(new Uint8Array(32))));
    const unusedBits = encodeDer(sequence(sequence(oid('1.3.101.112')), tlv(0x03, Uint8Array.of(1, 0))));
    expect(parseSpki(ed).keyType).toBe('Ed25519');
    for (const [bad, reason] of [
      [Uint8Array.from([...ed, 0]), /trailing data/],
      [extraField, /must hold an algorithm and a key/],
      [threeAlgorithmFields, /malformed AlgorithmIdentifier/],
      [unusedBits, /unused bits where whole octets are required/],
    ] as const) {
      expect(() => parseSpki(bad)).toThrow(DerError);
      expect(() => parseSpki(bad)).toThrow(reason);
      expect(() => parsePublicKeyInfo(bad)).toThrow(reason);
    }
  });
});
