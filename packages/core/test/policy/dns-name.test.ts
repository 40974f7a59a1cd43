import { describe, expect, it } from 'vitest';
import { CertwrightError } from '../../src/errors.js';
import { normalizeDnsName, validateALabel, validateDnsLabel, wildcardBase } from '../../src/policy/dns-name.js';
import { punycodeEncode } from '../../src/policy/punycode.js';

function rejectionOf(name: string): CertwrightError {
  try {
    normalizeDnsName(name);
  } catch (err) {
    if (err instanceof CertwrightError) return err;
    throw err;
  }
  throw new Error(`${JSON.stringify(name)} was accepted`);
}

describe('normalizeDnsName: accepted names', () => {
  it.each([
    ['example.com', 'example.com'],
    ['WWW.Example.COM', 'www.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['XN--BCHER-KVA.Example', 'xn--bcher-kva.example'],
    ['*.Example.com', '*.example.com'],
    ['*.xn--bcher-kva.example', '*.xn--bcher-kva.example'],
    ['a-b.c-d.example', 'a-b.c-d.example'],
    ['host.corp', 'host.corp'],
    ['1host.example', '1host.example'],
    ['www.123.example', 'www.123.example'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeDnsName(input)).toBe(expected);
  });

  it('accepts a 63-character label and a 253-character name', () => {
    const label63 = 'a'.repeat(63);
    expect(normalizeDnsName(`${label63}.example`)).toBe(`${label63}.example`);
    const name253 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(name253.length).toBe(253);
    expect(normalizeDnsName(name253)).toBe(name253);
  });
});

describe('normalizeDnsName: one rejected example per rule', () => {
  const name254 = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
  it.each([
    ['', 'may not be empty'],
    ['example.com.', 'may not end with a dot'],
    ['example.com。', 'may not end with a dot'],
    ['*example.com', 'may only be the whole first label'],
    ['a.*.example.com', 'may only be the whole first label'],
    ['**.example.com', 'may only be the whole first label'],
    ['*.*.example.com', 'may only be the whole first label'],
    ['ex*ample.com', 'may only be the whole first label'],
    ['*', 'may only be the whole first label'],
    ['192.0.2.1', 'must be requested as an identifier of type "ip"'],
    ['2001:db8::1', 'must be requested as an identifier of type "ip"'],
    ['[2001:db8::1]', 'must be requested as an identifier of type "ip"'],
    ['１９２.０.２.１', 'must be requested as an identifier of type "ip"'],
    ['Bücher.example', 'in ASCII with A-labels ("xn--…") for internationalized labels (RFC 8555 §7.1.4, RFC 5280 §7.2); send "xn--bcher-kva.example"'],
    ['例え.テスト', 'send "xn--r8jz45g.xn--zckzah"'],
    ['*.bücher.example', 'send "*.xn--bcher-kva.example"'],
    ['ＥＸＡＭＰＬＥ.com', 'send "example.com"'],
    ['exam\u00adple.com', 'send "example.com"'],
    ['a\u200db.bücher.example', 'in ASCII with A-labels'],
    ['a_b.example.com', 'only letters, digits, hyphens and dots (found "_")'],
    ['a b.example.com', 'only letters, digits, hyphens and dots (found " ")'],
    [name254, 'the name is 254 characters long; the limit is 253'],
    [`${'a'.repeat(64)}.example`, 'is 64 characters long; the limit is 63'],
    ['a..example', 'empty label'],
    ['.example.com', 'empty label'],
    ['-a.example', 'may not start or end with a hyphen'],
    ['a-.example', 'may not start or end with a hyphen'],
    ['ab--cd.example', 'reserved for A-labels'],
    ['xn--9.example', 'is not valid Punycode'],
    [`xn--${punycodeEncode('e\u0301')}.example`, 'not NFC-normalized'],
    [`xn--${punycodeEncode('Ä')}.example`, 'not a valid IDNA U-label'],
    ['xn--abc.example', 'decodes to "\\u0082\\u0081\\u0080", which is not a valid IDNA U-label'],
    ['localhost', 'at least two labels'],
    ['example.123', 'the top-level domain "123" may not be numeric'],
    ['host.0x1f', 'the top-level domain "0x1f" may not be numeric'],
  ])('%j: %s', (input, rule) => {
    const err = rejectionOf(input);
    expect(err.code).toBe('malformed');
    expect(err.subproblems).toHaveLength(1);
    expect(err.subproblems[0]!.identifier).toEqual({ type: 'dns', value: input });
    expect(err.subproblems[0]!.code).toBe('malformed');
    expect(err.detail).toContain(rule);
  });

  it('starts the detail with the offending name', () => {
    expect(rejectionOf('a_b.example').detail).toBe('"a_b.example": a DNS name may contain only letters, digits, hyphens and dots (found "_")');
  });

  it('escapes invisible characters in details', () => {
    expect(rejectionOf('a\u202eb.example').detail.startsWith('"a\\u202eb.example"')).toBe(true);
  });
});

describe('label checks', () => {
  it('validateDnsLabel accepts LDH labels and valid A-labels', () => {
    expect(validateDnsLabel('abc-1')).toBeUndefined();
    expect(validateDnsLabel('xn--bcher-kva')).toBeUndefined();
  });

  it('validateALabel refuses an A-label that decodes to plain ASCII', () => {
    expect(validateALabel('xn--abc-')).toContain('decodes to plain ASCII');
  });

  it('validateALabel refuses an A-label that does not re-encode to itself', () => {
    // uppercase digits decode to the same Unicode but are not the canonical encoding
    expect(validateALabel('xn--bcher-KVA')).toContain('does not re-encode to the same A-label');
  });
});

describe('wildcardBase', () => {
  it('strips the wildcard label of a DNS name and nothing else', () => {
    expect(wildcardBase({ type: 'dns', value: '*.example.com' })).toBe('example.com');
    expect(wildcardBase({ type: 'dns', value: 'www.example.com' })).toBe('www.example.com');
    expect(wildcardBase({ type: 'ip', value: '10.0.0.1' })).toBe('10.0.0.1');
  });
});
