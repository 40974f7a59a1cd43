/**
 * Pre-signing lints over the TBS DER, in the spirit of Boulder's linting
 * step: a certificate that fails one is never signed. Built-in lints read
 * one decoded TBS (decoded once by {@link runLints}); a custom
 * {@link Linter} gets the DER and the same context.
 */
import { CertwrightError } from '../errors.js';
import type { Identifier } from '../identifier.js';
import { equalBytes } from '../x509/der.js';
import { DerError, bitIsSet, children, readBitString, readBoolean, readSingle, valueOf, type Tlv } from '../x509/der-reader.js';
import { bytesToIp } from '../x509/ip.js';
import { commonNameOf } from '../x509/name.js';
import { EXTENSION_OIDS } from '../x509/oids.js';
import { spkiFamily } from '../x509/spki.js';
import { decodeTbs, type DecodedExtension, type DecodedTbs } from '../x509/tbs.js';
import type { Issuer } from './issuer.js';
import type { Profile } from './profile.js';

/** What the TBS is expected to say. */
export interface LintExpectation {
  identifiers: readonly Identifier[];
  notBefore: Date;
  notAfter: Date;
  /** The reserved serial, big-endian unsigned bytes. */
  serial: Uint8Array;
  isCa: boolean;
}

/** The context every lint sees. */
export interface LintContext {
  profile: Profile;
  issuer: Pick<Issuer, 'id' | 'subjectDer' | 'signatureAlgorithmDer' | 'notBefore' | 'notAfter'>;
  expected: LintExpectation;
  /** The decoded TBS; filled by {@link runLints}. */
  decoded?: DecodedTbs;
}

/** One problem a lint found. */
export interface LintFinding {
  /** The lint's name, e.g. `e_serial_length`. */
  lint: string;
  message: string;
}

/** A lint: reads the TBS and returns its findings (none when it passes). */
export type Linter = (tbsDer: Uint8Array, context: LintContext) => LintFinding[];

type Rule = (tbs: DecodedTbs, ctx: LintContext) => string | undefined;

function ext(tbs: DecodedTbs, oid: string): DecodedExtension | undefined {
  return tbs.extensions.find((e) => e.oid === oid);
}

const KNOWN_EXTENSIONS = new Set<string>(Object.values(EXTENSION_OIDS));

function asciiOf(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

/** The identifiers in a subjectAltName extension value. */
export function sanIdentifiers(value: Uint8Array): Identifier[] {
  return children(readSingle(value)).map((gn) => {
    if (gn.tag === 0x82) return { type: 'dns' as const, value: asciiOf(gn.bytes, gn.valueStart, gn.end) };
    if (gn.tag === 0x87) return { type: 'ip' as const, value: bytesToIp(valueOf(gn)) };
    throw new DerError(`unexpected GeneralName tag 0x${gn.tag.toString(16)}`, gn.start);
  });
}

/** True when the content octets `start..end` of `bytes` spell exactly `text` (one octet per character). */
function asciiEquals(bytes: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** True when GeneralName `gn` (dNSName or iPAddress) names exactly `id`; other tags never match. */
function generalNameIs(gn: Tlv, id: Identifier): boolean {
  if (gn.tag === 0x82) return id.type === 'dns' && asciiEquals(gn.bytes, gn.valueStart, gn.end, id.value);
  if (gn.tag === 0x87) return id.type === 'ip' && bytesToIp(valueOf(gn)) === id.value;
  return false;
}

/** True when no identifier appears twice (same type and value). */
function distinctIdentifiers(ids: readonly Identifier[]): boolean {
  for (let i = 1; i < ids.length; i++) {
    for (let j = 0; j < i; j++) if (ids[i]!.type === ids[j]!.type && ids[i]!.value === ids[j]!.value) return false;
  }
  return true;
}

/**
 * Fast path of `e_san_matches_identifiers`: the SAN lists exactly the wanted
 * identifiers, in order, none twice. When false, the full comparison runs
 * and words the finding (or throws for an unexpected GeneralName).
 */
function sanIsExactly(names: readonly Tlv[], wanted: readonly Identifier[]): boolean {
  if (names.length !== wanted.length) return false;
  for (let i = 0; i < names.length; i++) if (!generalNameIs(names[i]!, wanted[i]!)) return false;
  return distinctIdentifiers(wanted);
}

/** Whether a SAN value names `cn` (as a dNSName, or an iPAddress in text form); throws on an unexpected GeneralName. */
function sanNames(value: Uint8Array, cn: string): boolean {
  let found = false;
  for (const gn of children(readSingle(value))) {
    let match: boolean;
    if (gn.tag === 0x82) match = asciiEquals(gn.bytes, gn.valueStart, gn.end, cn);
    // Every iPAddress is converted, so a malformed one fails the lint wherever it sits.
    else if (gn.tag === 0x87) match = bytesToIp(valueOf(gn)) === cn;
    else throw new DerError(`unexpected GeneralName tag 0x${gn.tag.toString(16)}`, gn.start);
    found ||= match;
  }
  return found;
}

/** Whether INTEGER content octets `content` encode the unsigned big-endian `bytes` (minimal two's complement, X.690 §8.3.2), without allocating. */
function integerContentIs(content: Uint8Array, bytes: Uint8Array): boolean {
  if (bytes.length === 0) return content.length === 1 && content[0] === 0;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const sign = (bytes[start]! & 0x80) !== 0 ? 1 : 0;
  if (content.length !== bytes.length - start + sign) return false;
  if (sign === 1 && content[0] !== 0) return false;
  for (let i = start; i < bytes.length; i++) if (content[i - start + sign] !== bytes[i]) return false;
  return true;
}

const RULES: Readonly<Record<string, Rule>> = {
  e_version_v3: (t) => (t.version === 2 ? undefined : `version must be v3, found ${t.version + 1}`),
  e_serial_length: (t) => {
    if (t.serial.length > 20) return `serial is ${t.serial.length} octets, more than 20 (RFC 5280 §4.1.2.2)`;
    if (t.serial[0]! & 0x80) return 'serial is negative';
    if (t.serial.every((b) => b === 0)) return 'serial is zero';
    if (t.serial.length < 9) return `serial is ${t.serial.length} octets, too short to hold 64 random bits`;
    return undefined;
  },
  e_serial_matches: (t, c) => (integerContentIs(t.serial, c.expected.serial) ? undefined : 'serial differs from the reserved serial'),
  e_signature_algorithm_matches_issuer: (t, c) => (equalBytes(t.signatureAlgorithm, c.issuer.signatureAlgorithmDer) ? undefined : 'signature algorithm differs from the issuer’s'),
  e_issuer_name_matches: (t, c) => (equalBytes(t.issuer, c.issuer.subjectDer) ? undefined : 'issuer Name differs from the issuer certificate’s subject'),
  e_validity_matches_expected: (t, c) =>
    t.notBefore.getTime() === c.expected.notBefore.getTime() && t.notAfter.getTime() === c.expected.notAfter.getTime()
      ? undefined
      : 'validity differs from the planned validity',
  e_validity_within_profile: (t, c) => {
    const seconds = (t.notAfter.getTime() - t.notBefore.getTime()) / 1000 + 1;
    if (seconds < 1) return 'notAfter is before notBefore';
    if (!c.expected.isCa && seconds > c.profile.validitySeconds) return `validity of ${seconds} s exceeds profile "${c.profile.name}" maximum of ${c.profile.validitySeconds} s`;
    return undefined;
  },
  e_validity_within_issuer: (t, c) => {
    if (t.notAfter.getTime() > c.issuer.notAfter.getTime()) return `notAfter is after issuer ${c.issuer.id} notAfter`;
    if (t.notBefore.getTime() < c.issuer.notBefore.getTime()) return `notBefore is before issuer ${c.issuer.id} notBefore`;
    return undefined;
  },
  e_basic_constraints: (t, c) => {
    const bc = ext(t, EXTENSION_OIDS.basicConstraints);
    if (bc === undefined) return 'basicConstraints is missing';
    if (!bc.critical) return 'basicConstraints is not critical';
    const fields = children(readSingle(bc.value));
    const ca = fields[0] !== undefined && fields[0].tag === 0x01 && readBoolean(fields[0]);
    if (ca !== c.expected.isCa) return c.expected.isCa ? 'CA certificate lacks cA TRUE' : 'leaf certificate has cA TRUE';
    return undefined;
  },
  e_key_usage: (t, c) => {
    const ku = ext(t, EXTENSION_OIDS.keyUsage);
    if (ku === undefined) return 'keyUsage is missing';
    if (!ku.critical) return 'keyUsage is not critical';
    const bits = readBitString(readSingle(ku.value));
    const family = spkiFamily(t.spki);
    if (c.expected.isCa) return bitIsSet(bits, 5) ? undefined : 'CA keyUsage lacks keyCertSign';
    if (!bitIsSet(bits, 0)) return 'keyUsage lacks digitalSignature';
    if (family !== 'rsa' && bitIsSet(bits, 2)) return `keyEncipherment is not allowed for ${family} keys`;
    if (bitIsSet(bits, 5) || bitIsSet(bits, 6)) return 'leaf keyUsage has keyCertSign or cRLSign';
    return undefined;
  },
  e_san_matches_identifiers: (t, c) => {
    const san = ext(t, EXTENSION_OIDS.subjectAltName);
    if (san === undefined) return c.expected.isCa ? undefined : 'subjectAltName is missing';
    if (sanIsExactly(children(readSingle(san.value)), c.expected.identifiers)) {
      return t.subject.length === 2 && !san.critical ? 'subjectAltName must be critical when the subject is empty' : undefined;
    }
    const found = sanIdentifiers(san.value).map((i) => `${i.type}:${i.value}`);
    const wanted = c.expected.identifiers.map((i) => `${i.type}:${i.value}`);
    if (new Set(found).size !== found.length) return 'subjectAltName has duplicate names';
    const wantedSet = new Set(wanted);
    const extra = found.filter((f) => !wantedSet.has(f));
    if (extra.length > 0) return `subjectAltName has unexpected names: ${extra.join(', ')}`;
    const foundSet = new Set(found);
    const missing = wanted.filter((w) => !foundSet.has(w));
    if (missing.length > 0) return `subjectAltName lacks names: ${missing.join(', ')}`;
    if (t.subject.length === 2 && !san.critical) return 'subjectAltName must be critical when the subject is empty';
    return undefined;
  },
  e_cn_in_san: (t, c) => {
    if (c.expected.isCa) return undefined;
    const cn = commonNameOf(t.subject);
    if (cn === undefined) return undefined;
    const san = ext(t, EXTENSION_OIDS.subjectAltName);
    return san !== undefined && sanNames(san.value, cn) ? undefined : `commonName ${cn} is not among the subjectAltNames`;
  },
  e_no_unknown_critical_extension: (t) => {
    const unknown = t.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid));
    return unknown === undefined ? undefined : `unknown critical extension ${unknown.oid}`;
  },
  e_no_duplicate_extension: (t) => {
    const all = t.extensions;
    for (let i = 1; i < all.length; i++) {
      for (let j = 0; j < i; j++) if (all[i]!.oid === all[j]!.oid) return `extension ${all[i]!.oid} appears twice`;
    }
    return undefined;
  },
};

/** Names of the built-in lints, in the order they run. */
export const BUILTIN_LINT_NAMES: readonly string[] = Object.keys(RULES);

/** A built-in lint as a {@link Linter}, by name. */
export function builtinLinter(name: string): Linter {
  const rule = RULES[name];
  if (rule === undefined) throw new RangeError(`unknown lint ${name}`);
  return (tbsDer, ctx) => {
    let message: string | undefined;
    try {
      message = rule(ctx.decoded ?? decodeTbs(tbsDer), ctx);
    } catch (err) {
      message = `malformed: ${(err as Error).message}`;
    }
    return message === undefined ? [] : [{ lint: name, message }];
  };
}

/** All built-in lints. */
export function builtinLinters(): Linter[] {
  return BUILTIN_LINT_NAMES.map(builtinLinter);
}

/**
 * Decodes the TBS once and runs every linter; the first finding is thrown as
 * `CertwrightError('serverInternal', 'lint <name> failed: <message>')`: a
 * lint failure is a bug in the CA, and the certificate is never signed.
 */
export function runLints(linters: readonly Linter[], tbsDer: Uint8Array, context: LintContext): void {
  let decoded: DecodedTbs;
  try {
    decoded = decodeTbs(tbsDer);
  } catch (err) {
    throw new CertwrightError('serverInternal', `lint e_tbs_decodes failed: ${(err as Error).message}`);
  }
  const ctx: LintContext = { ...context, decoded };
  for (const linter of linters) {
    const finding = linter(tbsDer, ctx)[0];
    if (finding !== undefined) throw new CertwrightError('serverInternal', `lint ${finding.lint} failed: ${finding.message}`);
  }
}
