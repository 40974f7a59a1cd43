import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { CertwrightError } from '../../src/errors.js';
import type { Identifier } from '../../src/identifier.js';
import { seededRandom } from '../../src/random.js';
import { algorithmIdentifierDer } from '../../src/signers/algorithms.js';
import { generateSoftwareSigner, type SoftwareSigner } from '../../src/signers/software.js';
import { createIntermediateCa, createRootCa } from '../../src/issuance/bootstrap.js';
import type { Issuer } from '../../src/issuance/issuer.js';
import { createLeafTbsBuilder } from '../../src/issuance/leaf-tbs.js';
import { BUILTIN_LINT_NAMES, builtinLinter, builtinLinters, runLints, type LintContext, type Linter } from '../../src/issuance/lint.js';
import { computeValidity, defaultProfiles, type Profile } from '../../src/issuance/profile.js';
import { splitSigned } from '../../src/x509/certificate.js';
import { type Der, encodeDer, integer, integerFromUnsigned, sequence, x509Time, oid, NULL_DER } from '../../src/x509/der.js';
import {
  basicConstraintsExtension,
  extension,
  extensionsField,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  type KeyUsage,
} from '../../src/x509/extensions.js';
import { encodeName, leafSubject } from '../../src/x509/name.js';
import { keyIdentifier } from '../../src/x509/spki.js';
import { VERSION_V3_DER } from '../../src/x509/tbs.js';
import { dns, ip, testSerial } from './helpers.js';

const clock = new FakeClock('2026-03-01T00:00:00Z');
let root: Issuer;
let issuer: Issuer;
let ecKey: SoftwareSigner;
let rsaKey: SoftwareSigner;
let profile: Profile;
let validity: { notBefore: Date; notAfter: Date };
const serial = testSerial(7);
const ids: Identifier[] = [dns('a.example.com'), dns('b.example.com'), ip('192.0.2.1')];

beforeAll(async () => {
  const random = seededRandom(3);
  root = await createRootCa({ subject: [{ type: 'CN', value: 'Lint Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random });
  issuer = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Lint Intermediate' }], keyType: 'P-256', validitySeconds: 365 * 86400, clock, random });
  ecKey = await generateSoftwareSigner('P-256');
  rsaKey = await generateSoftwareSigner('RSA-2048');
  profile = defaultProfiles()[0]!;
  validity = computeValidity(profile, issuer, clock.now());
}, 60_000);

function ctx(over: Partial<LintContext['expected']> = {}): LintContext {
  return { profile, issuer, expected: { identifiers: ids, ...validity, serial, isCa: false, ...over } };
}

interface Craft {
  version?: Der | null;
  serial?: Der;
  signatureAlgorithm?: Uint8Array;
  issuerName?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  subject?: Uint8Array;
  spki?: Uint8Array;
  extensions?: Der[];
}

function ku(...usages: KeyUsage[]): Uint8Array {
  return keyUsageExtension(usages);
}

/** Good leaf extensions, for a P-256 key and `ids`, subject CN a.example.com. */
function goodExtensions(): Der[] {
  return [
    ku('digitalSignature'),
    extKeyUsageExtension(['1.3.6.1.5.5.7.3.1']),
    basicConstraintsExtension({ ca: false }),
    subjectKeyIdentifierExtension(keyIdentifier(ecKey.publicKeySpki)),
    issuer.akiExtension,
    subjectAltNameExtension(ids, false),
  ];
}

/** A hand-crafted TBS: every field good unless overridden. */
function craft(c: Craft = {}): Uint8Array {
  const fields: Der[] = [];
  if (c.version !== null) fields.push(c.version ?? VERSION_V3_DER);
  fields.push(
    c.serial ?? integerFromUnsigned(serial),
    c.signatureAlgorithm ?? issuer.signatureAlgorithmDer,
    c.issuerName ?? issuer.subjectDer,
    sequence(x509Time(c.notBefore ?? validity.notBefore), x509Time(c.notAfter ?? validity.notAfter)),
    c.subject ?? leafSubject('a.example.com'),
    c.spki ?? ecKey.publicKeySpki,
    extensionsField(c.extensions ?? goodExtensions()),
  );
  return encodeDer(sequence(...fields));
}

function replaceExt(index: number, ext: Der | null): Der[] {
  const exts = goodExtensions();
  if (ext === null) exts.splice(index, 1);
  else exts[index] = ext;
  return exts;
}

function expectLint(tbs: Uint8Array, c: LintContext, lint: string, message: RegExp): void {
  let caught: unknown;
  try {
    runLints(builtinLinters(), tbs, c);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CertwrightError);
  const e = caught as CertwrightError;
  expect(e.code).toBe('serverInternal');
  expect(e.detail).toMatch(new RegExp(`^lint ${lint} failed: `));
  expect(e.detail).toMatch(message);
  // The named lint alone finds it too.
  if (BUILTIN_LINT_NAMES.includes(lint)) expect(builtinLinter(lint)(tbs, c)[0]?.lint).toBe(lint);
}

describe('built-in lints', () => {
  it('pass for a TBS from the leaf builder, for EC and RSA keys, and for CA certificates', () => {
    const builder = createLeafTbsBuilder(issuer, profile);
    for (const key of [ecKey, rsaKey]) {
      const { tbs } = builder.build({ serial, spki: key.publicKeySpki, identifiers: ids, ...validity });
      expect(() => runLints(builtinLinters(), tbs, ctx())).not.toThrow();
    }
    expect(() => runLints(builtinLinters(), craft(), ctx())).not.toThrow();
    const interTbs = splitSigned(issuer.certificate).tbs;
    const caCtx: LintContext = {
      profile,
      issuer: root,
      expected: { identifiers: [], notBefore: issuer.notBefore, notAfter: issuer.notAfter, serial: new Uint8Array(0), isCa: true },
    };
    const linters = BUILTIN_LINT_NAMES.filter((n) => n !== 'e_serial_matches').map(builtinLinter);
    expect(() => runLints(linters, interTbs, caCtx)).not.toThrow();
  });

  it('e_version_v3 rejects a v1 or v2 TBS', () => {
    expectLint(craft({ version: null }), ctx(), 'e_version_v3', /found 1/);
    expectLint(craft({ version: Uint8Array.of(0xa0, 3, 2, 1, 1) }), ctx(), 'e_version_v3', /must be v3, found 2/);
  });

  it('e_serial_matches rejects a serial other than the reserved one', () => {
    expectLint(craft(), ctx({ serial: testSerial(8) }), 'e_serial_matches', /reserved serial/);
  });

  it('e_serial_matches compares the reserved serial as minimal INTEGER content (sign octet, leading zeros)', () => {
    const high = Uint8Array.of(0x9c, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    const zeroPadded = Uint8Array.of(0, 0, 0x9c, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    const serialLint = builtinLinter('e_serial_matches');
    for (const reserved of [high, zeroPadded]) expect(serialLint(craft({ serial: integerFromUnsigned(high) }), ctx({ serial: reserved }))).toEqual([]);
    // Same octets without the sign octet: a negative INTEGER, not the reserved serial.
    expect(serialLint(craft({ serial: Uint8Array.of(2, 10, ...high) }), ctx({ serial: high }))[0]?.message).toMatch(/reserved serial/);
    const low = Uint8Array.of(0x1c, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    expect(serialLint(craft({ serial: integerFromUnsigned(low) }), ctx({ serial: new Uint8Array(0) }))[0]?.message).toMatch(/reserved serial/);
    expect(serialLint(craft({ serial: integer(0) }), ctx({ serial: new Uint8Array(0) }))).toEqual([]);
    expect(serialLint(craft({ serial: integerFromUnsigned(low) }), ctx({ serial: Uint8Array.of(0x1c, 1, 2, 3, 4, 5, 6, 7, 8, 8) }))[0]?.message).toMatch(/reserved serial/);
  });

  it('e_serial_length rejects long, negative, zero and short serials', () => {
    const long = new Uint8Array(21).fill(0x11);
    expectLint(craft({ serial: integerFromUnsigned(long) }), ctx({ serial: long }), 'e_serial_length', /21 octets, more than 20/);
    const negative = integer(-(2n ** 100n));
    expectLint(craft({ serial: negative }), ctx({ serial: encodeDer(negative).subarray(2) }), 'e_serial_length', /negative/);
    expectLint(craft({ serial: integer(0) }), ctx({ serial: Uint8Array.of(0) }), 'e_serial_length', /zero/);
    const short = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expectLint(craft({ serial: integerFromUnsigned(short) }), ctx({ serial: short }), 'e_serial_length', /8 octets, too short/);
  });

  it('e_signature_algorithm_matches_issuer rejects another algorithm', () => {
    expectLint(craft({ signatureAlgorithm: algorithmIdentifierDer('ecdsa-with-SHA384') }), ctx(), 'e_signature_algorithm_matches_issuer', /algorithm/);
  });

  it('e_issuer_name_matches rejects a foreign issuer Name', () => {
    expectLint(craft({ issuerName: encodeName([{ type: 'CN', value: 'Someone Else' }]) }), ctx(), 'e_issuer_name_matches', /issuer Name/);
  });

  it('e_validity_matches_expected rejects a validity other than planned', () => {
    expectLint(craft({ notAfter: new Date(validity.notAfter.getTime() - 1000) }), ctx(), 'e_validity_matches_expected', /planned validity/);
  });

  it('e_validity_within_profile rejects one second too many and reversed validity', () => {
    const notAfter = new Date(validity.notBefore.getTime() + profile.validitySeconds * 1000);
    expectLint(craft({ notAfter }), ctx({ notAfter }), 'e_validity_within_profile', /7776001 s exceeds profile "default" maximum of 7776000 s/);
    const before = new Date(validity.notBefore.getTime() - 1000);
    expectLint(craft({ notAfter: before }), ctx({ notAfter: before }), 'e_validity_within_profile', /notAfter is before notBefore/);
  });

  it('e_validity_within_issuer rejects validity outside the issuer’s', () => {
    const shortProfile = { ...profile, validitySeconds: 10 * 365 * 86400 };
    const notAfter = new Date(issuer.notAfter.getTime() + 1000);
    expectLint(craft({ notAfter }), { ...ctx({ notAfter }), profile: shortProfile }, 'e_validity_within_issuer', new RegExp(`after issuer ${issuer.id}`));
    const notBefore = new Date(issuer.notBefore.getTime() - 1000);
    const shortAfter = new Date(notBefore.getTime() + 86400_000);
    expectLint(craft({ notBefore, notAfter: shortAfter }), ctx({ notBefore, notAfter: shortAfter }), 'e_validity_within_issuer', /notBefore is before issuer/);
  });

  it('e_basic_constraints requires a critical basicConstraints with the right cA', () => {
    expectLint(craft({ extensions: replaceExt(2, null) }), ctx(), 'e_basic_constraints', /missing/);
    expectLint(craft({ extensions: replaceExt(2, extension('2.5.29.19', false, sequence())) }), ctx(), 'e_basic_constraints', /not critical/);
    expectLint(craft({ extensions: replaceExt(2, basicConstraintsExtension({ ca: true })) }), ctx(), 'e_basic_constraints', /leaf certificate has cA TRUE/);
    const caCtx = ctx({ isCa: true });
    expectLint(craft(), caCtx, 'e_basic_constraints', /CA certificate lacks cA TRUE/);
  });

  it('e_key_usage checks presence, criticality and consistency with the key type', () => {
    expectLint(craft({ extensions: replaceExt(0, null) }), ctx(), 'e_key_usage', /keyUsage is missing/);
    expectLint(craft({ extensions: replaceExt(0, extension('2.5.29.15', false, Uint8Array.of(3, 2, 7, 0x80))) }), ctx(), 'e_key_usage', /not critical/);
    expectLint(craft({ extensions: replaceExt(0, ku('keyEncipherment')) }), ctx(), 'e_key_usage', /lacks digitalSignature/);
    expectLint(craft({ extensions: replaceExt(0, ku('digitalSignature', 'keyEncipherment')) }), ctx(), 'e_key_usage', /keyEncipherment is not allowed for ec keys/);
    expectLint(craft({ extensions: replaceExt(0, ku('digitalSignature', 'keyCertSign')) }), ctx(), 'e_key_usage', /keyCertSign or cRLSign/);
    const rsaExts = replaceExt(3, subjectKeyIdentifierExtension(keyIdentifier(rsaKey.publicKeySpki)));
    rsaExts[0] = ku('digitalSignature', 'keyEncipherment');
    expect(() => runLints(builtinLinters(), craft({ spki: rsaKey.publicKeySpki, extensions: rsaExts }), ctx())).not.toThrow();
    const caExts = replaceExt(2, basicConstraintsExtension({ ca: true }));
    caExts[0] = ku('cRLSign');
    expectLint(craft({ extensions: caExts }), ctx({ isCa: true }), 'e_key_usage', /CA keyUsage lacks keyCertSign/);
  });

  it('e_san_matches_identifiers requires exactly the expected names', () => {
    expectLint(craft({ extensions: replaceExt(5, null) }), ctx(), 'e_san_matches_identifiers', /subjectAltName is missing/);
    expectLint(craft({ extensions: replaceExt(5, subjectAltNameExtension([...ids, dns('evil.example')], false)) }), ctx(), 'e_san_matches_identifiers', /unexpected names: dns:evil.example/);
    expectLint(craft({ extensions: replaceExt(5, subjectAltNameExtension(ids.slice(0, 2), false)) }), ctx(), 'e_san_matches_identifiers', /lacks names: ip:192.0.2.1/);
    expectLint(craft({ extensions: replaceExt(5, subjectAltNameExtension([...ids, ids[0]!], false)) }), ctx(), 'e_san_matches_identifiers', /duplicate/);
    expectLint(craft({ subject: leafSubject(undefined) }), ctx(), 'e_san_matches_identifiers', /must be critical when the subject is empty/);
  });

  it('e_san_matches_identifiers accepts the expected names in any order, and still finds duplicates the request repeats', () => {
    const sanLint = builtinLinter('e_san_matches_identifiers');
    const reordered = craft({ extensions: replaceExt(5, subjectAltNameExtension([ids[2]!, ids[0]!, ids[1]!], false)) });
    expect(sanLint(reordered, ctx())).toEqual([]);
    const twice = craft({ extensions: replaceExt(5, subjectAltNameExtension([...ids, ids[1]!], false)) });
    expect(sanLint(twice, ctx({ identifiers: [...ids, ids[1]!] }))[0]?.message).toMatch(/duplicate/);
    // Same text, other type: an iPAddress is not the dNSName of its text form.
    expect(sanLint(craft(), ctx({ identifiers: [ids[0]!, ids[1]!, dns('192.0.2.1')] }))[0]?.message).toMatch(/unexpected names: ip:192\.0\.2\.1/);
    const otherName = extension('2.5.29.17', false, Uint8Array.of(0x30, 5, 0x81, 3, 0x61, 0x40, 0x62));
    expect(sanLint(craft({ extensions: replaceExt(5, otherName) }), ctx())[0]?.message).toMatch(/malformed: unexpected GeneralName tag 0x81/);
  });

  it('e_cn_in_san matches the commonName against dNSNames and iPAddresses, and rejects a malformed SAN anywhere', () => {
    const cnLint = builtinLinter('e_cn_in_san');
    expect(cnLint(craft({ subject: leafSubject('b.example.com') }), ctx())).toEqual([]);
    expect(cnLint(craft({ subject: leafSubject('192.0.2.1') }), ctx())).toEqual([]);
    expect(cnLint(craft({ subject: leafSubject('a.example.co') }), ctx())[0]?.message).toMatch(/not among/);
    expect(cnLint(craft({ extensions: replaceExt(5, null) }), ctx())[0]?.message).toMatch(/not among/);
    // A bad GeneralName after the matching one still fails.
    const badTail = extension('2.5.29.17', false, Uint8Array.of(0x30, 0x14, 0x82, 13, ...Buffer.from('a.example.com'), 0x87, 3, 1, 2, 3));
    expect(cnLint(craft({ extensions: replaceExt(5, badTail) }), ctx())[0]?.message).toMatch(/^malformed: /);
  });

  it('e_cn_in_san rejects a commonName that is not a SAN', () => {
    expectLint(craft({ subject: leafSubject('c.example.com') }), ctx(), 'e_cn_in_san', /commonName c.example.com is not among/);
  });

  it('e_no_unknown_critical_extension rejects an unknown critical extension', () => {
    expectLint(craft({ extensions: [...goodExtensions(), extension('1.2.3.4', true, NULL_DER)] }), ctx(), 'e_no_unknown_critical_extension', /1\.2\.3\.4/);
    expect(() => runLints(builtinLinters(), craft({ extensions: [...goodExtensions(), extension('1.2.3.4', false, NULL_DER)] }), ctx())).not.toThrow();
  });

  it('e_no_duplicate_extension rejects an extension that appears twice', () => {
    expectLint(craft({ extensions: [...goodExtensions(), extKeyUsageExtension(['1.3.6.1.5.5.7.3.2'])] }), ctx(), 'e_no_duplicate_extension', /2\.5\.29\.37 appears twice/);
    const three = [...goodExtensions(), basicConstraintsExtension({ ca: false }), ku('digitalSignature')];
    expect(builtinLinter('e_no_duplicate_extension')(craft({ extensions: three }), ctx())[0]?.message).toBe('extension 2.5.29.19 appears twice');
  });

  it('a TBS that does not decode fails before any lint', () => {
    expectLint(Uint8Array.of(0x30, 0x80, 0, 0), ctx(), 'e_tbs_decodes', /indefinite/);
    expectLint(encodeDer(sequence(oid('1.2.3'))), ctx(), 'e_tbs_decodes', /INTEGER/);
  });

  it('runs custom linters after the built-in ones, with the decoded TBS in the context', () => {
    const seen: number[] = [];
    const custom: Linter = (der, c) => {
      seen.push(der.length, c.decoded!.extensions.length);
      return [{ lint: 'e_custom_no_ip', message: 'IP addresses are not allowed here' }];
    };
    let caught: unknown;
    try {
      runLints([...builtinLinters(), custom], craft(), ctx());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CertwrightError);
    expect((caught as CertwrightError).code).toBe('serverInternal');
    expect((caught as CertwrightError).detail).toBe('lint e_custom_no_ip failed: IP addresses are not allowed here');
    expect(seen[1]).toBe(6);
  });
});
