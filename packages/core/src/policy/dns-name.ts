/**
 * Syntax and canonical form of DNS names in ACME `dns` identifiers
 * (RFC 8555 §7.1.4, §9.7.7): lowercase A-labels (RFC 5890), letters, digits
 * and hyphens only (RFC 1123 §2.1, RFC 5891 §4.2.3.1), no trailing dot, at
 * most 253 characters and 63 per label, and a wildcard only as the whole
 * first label (RFC 8555 §7.1.3).
 *
 * A name with Unicode in it is refused: RFC 8555 §7.1.4 has the client send
 * the name "in the form in which it would appear in a certificate", i.e.
 * with A-labels (RFC 5280 §7.2), as Boulder also insists. The refusal names
 * the A-label form (Node's UTS #46 processing, `node:url` `domainToASCII`,
 * nontransitional) when there is one, so the client knows what to send.
 * Every supplied `xn--` label is verified independently: it must be valid
 * Punycode, decode to NFC-normalized Unicode outside ASCII, re-encode to
 * itself, and be what IDNA processing produces for its own U-label.
 * (Operator configuration such as suffix lists may still be written in
 * Unicode: {@link toAsciiName} converts it.)
 *
 * A name ending in a dot is refused rather than silently stripped, as
 * Boulder does: an identifier is echoed in authorizations and certificates
 * exactly as normalized, and a client that sends `example.com.` should learn
 * that it is not the name it will get.
 * @module
 */
import { domainToASCII } from 'node:url';
import type { Identifier } from '../identifier.js';
import { identifierError, quoteValue } from './identifier-rejection.js';
import { tryParseIp } from './ip-address.js';
import { punycodeDecode, punycodeEncode } from './punycode.js';

/** Longest DNS name accepted, in characters of its A-label form (RFC 1035 §2.3.4, without the root dot). */
export const MAX_DNS_NAME_LENGTH = 253;
/** Longest DNS label (RFC 1035 §2.3.4). */
export const MAX_DNS_LABEL_LENGTH = 63;
/** Input longer than this is refused before any IDNA processing. */
const MAX_INPUT_LENGTH = 1024;

/** The outcome of normalizing a DNS name: the canonical name, or the rule it broke. */
export type DnsNameResult = { ok: true; value: string } | { ok: false; reason: string };

const LDH_LABEL = /^[a-z0-9-]+$/;
/** The full stop and the dots UTS #46 maps to it (RFC 3490 §3.1). */
const TRAILING_DOT = /[.\u3002\uff0e\uff61]$/;
/** A last label that URL parsers read as a number, making the name an IPv4 address (WHATWG URL "ends in a number"). */
const NUMERIC_TLD = /^(?:[0-9]+|0x[0-9a-f]*)$/;

function quoteLabel(label: string): string {
  return quoteValue(label, 70);
}

function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/**
 * Checks that an `xn--` label is a valid A-label (RFC 5890 §2.3.2.1,
 * RFC 5891 §5.4): valid Punycode that decodes to NFC-normalized, non-ASCII
 * Unicode, re-encodes to the same label, and round-trips through IDNA
 * processing. Returns the broken rule, or `undefined`.
 */
export function validateALabel(label: string): string | undefined {
  const encoded = label.slice(4);
  const decoded = punycodeDecode(encoded);
  if (decoded === undefined) return `label ${quoteLabel(label)} is not valid Punycode`;
  if (!hasNonAscii(decoded)) return `label ${quoteLabel(label)} decodes to plain ASCII, which is not a valid A-label`;
  if (decoded.normalize('NFC') !== decoded) return `label ${quoteLabel(label)} decodes to Unicode that is not NFC-normalized`;
  if (punycodeEncode(decoded) !== encoded) return `label ${quoteLabel(label)} does not re-encode to the same A-label`;
  if (domainToASCII(decoded) !== label) {
    return `label ${quoteLabel(label)} decodes to ${quoteValue(decoded)}, which is not a valid IDNA U-label`;
  }
  return undefined;
}

/**
 * Checks one label of a lowercase ASCII name: 1–63 characters, letters,
 * digits and hyphens only, no hyphen at either end, and `--` in the third
 * and fourth positions only in a valid A-label (RFC 5891 §4.2.3.1). Returns
 * the broken rule, or `undefined`.
 */
export function validateDnsLabel(label: string): string | undefined {
  if (label === '') return 'a DNS name may not contain an empty label';
  if (label.length > MAX_DNS_LABEL_LENGTH) {
    return `label ${quoteLabel(label)} is ${label.length} characters long; the limit is ${MAX_DNS_LABEL_LENGTH}`;
  }
  if (!LDH_LABEL.test(label)) return `label ${quoteLabel(label)} may contain only letters, digits and hyphens`;
  if (label.startsWith('-') || label.endsWith('-')) return `label ${quoteLabel(label)} may not start or end with a hyphen`;
  if (label.slice(2, 4) === '--') {
    if (!label.startsWith('xn--')) {
      return `label ${quoteLabel(label)} has "--" in the third and fourth positions, which is reserved for A-labels ("xn--")`;
    }
    return validateALabel(label);
  }
  return undefined;
}

/**
 * Lowercases a name and converts any Unicode in it to A-labels with UTS #46
 * processing, without validating the result. ASCII input is only
 * lowercased, so URL-parser shortcuts (such as reading `0x7f.1` as an IPv4
 * address) never apply to it.
 */
export function toAsciiName(text: string): DnsNameResult {
  if (!hasNonAscii(text)) return { ok: true, value: text.toLowerCase() };
  const ascii = domainToASCII(text);
  if (ascii === '') return { ok: false, reason: 'not a valid internationalized domain name (IDNA processing failed)' };
  return { ok: true, value: ascii.toLowerCase() };
}

const IP_IN_DNS = 'an IP address must be requested as an identifier of type "ip" (RFC 8738), not "dns"';
const TRAILING_DOT_RULE = 'a DNS name may not end with a dot; send it without the trailing dot';

/**
 * Why a name with Unicode in it is refused, with the A-label form to send
 * instead when UTS #46 processing gives a plausible one (an address written
 * in fullwidth digits is sent to the "ip" type instead).
 */
function unicodeRefusal(rest: string, wildcard: boolean): string {
  const converted = toAsciiName(rest);
  if (converted.ok && tryParseIp(converted.value) !== undefined) return IP_IN_DNS;
  const plausible = converted.ok && /^[a-z0-9.-]+$/.test(converted.value) && converted.value.includes('.');
  const suggestion = plausible ? `; send ${JSON.stringify(`${wildcard ? '*.' : ''}${converted.value}`)}` : '';
  return `a DNS name must be sent as it appears in a certificate, in ASCII with A-labels ("xn--…") for internationalized labels (RFC 8555 §7.1.4, RFC 5280 §7.2)${suggestion}`;
}

/**
 * Normalizes a DNS name and explains a refusal (see the module notes for
 * the rules). A wildcard name keeps its `*.` label.
 */
export function normalizeDnsNameDetailed(input: string): DnsNameResult {
  if (typeof input !== 'string') return { ok: false, reason: 'a DNS name must be a string' };
  if (input === '') return { ok: false, reason: 'a DNS name may not be empty' };
  if (input.length > MAX_INPUT_LENGTH) return { ok: false, reason: `a DNS name may be at most ${MAX_DNS_NAME_LENGTH} characters long` };
  if (TRAILING_DOT.test(input)) return { ok: false, reason: TRAILING_DOT_RULE };
  const wildcard = input.startsWith('*.');
  const rest = wildcard ? input.slice(2) : input;
  if (rest.includes('*')) return { ok: false, reason: 'a wildcard "*" may only be the whole first label, as in "*.example.com"' };
  const unbracketed = rest.startsWith('[') && rest.endsWith(']') ? rest.slice(1, -1) : rest;
  if (tryParseIp(unbracketed) !== undefined) return { ok: false, reason: IP_IN_DNS };

  if (hasNonAscii(rest)) return { ok: false, reason: unicodeRefusal(rest, wildcard) };
  const ascii = rest.toLowerCase();
  if (tryParseIp(ascii) !== undefined) return { ok: false, reason: IP_IN_DNS };
  if (ascii.endsWith('.')) return { ok: false, reason: TRAILING_DOT_RULE };
  const stray = /[^a-z0-9.-]/.exec(ascii);
  if (stray !== null) {
    return { ok: false, reason: `a DNS name may contain only letters, digits, hyphens and dots (found ${quoteValue(stray[0])})` };
  }
  const name = wildcard ? `*.${ascii}` : ascii;
  if (name.length > MAX_DNS_NAME_LENGTH) {
    return { ok: false, reason: `the name is ${name.length} characters long; the limit is ${MAX_DNS_NAME_LENGTH}` };
  }
  const labels = ascii.split('.');
  for (const label of labels) {
    const reason = validateDnsLabel(label);
    if (reason !== undefined) return { ok: false, reason };
  }
  if (labels.length + (wildcard ? 1 : 0) < 2) return { ok: false, reason: 'a DNS name must have at least two labels' };
  const tld = labels[labels.length - 1]!;
  if (NUMERIC_TLD.test(tld)) {
    return { ok: false, reason: `the top-level domain ${JSON.stringify(tld)} may not be numeric (the name would read as an IP address)` };
  }
  return { ok: true, value: name };
}

/**
 * Normalizes a DNS name to the canonical form certwright stores and
 * certifies: lowercase A-labels, no trailing dot, wildcard as `*.` first
 * label. Throws a `malformed` {@link CertwrightError} with one subproblem
 * naming the broken rule.
 */
export function normalizeDnsName(input: string): string {
  const result = normalizeDnsNameDetailed(input);
  if (!result.ok) throw identifierError({ type: 'dns', value: input }, 'malformed', result.reason);
  return result.value;
}

/** The name a wildcard identifier covers the children of (`*.example.com` → `example.com`); other identifiers unchanged. */
export function wildcardBase(id: Identifier): string {
  return id.type === 'dns' && id.value.startsWith('*.') ? id.value.slice(2) : id.value;
}
