import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CertwrightError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';
import type { Identifier } from '../../src/identifier.js';
import { createIdentifierPolicy, DEFAULT_MAX_NAMES_PER_CERTIFICATE, isPublicSuffix } from '../../src/policy/index.js';
import type { IdentifierPolicy, RequestedIdentifier } from '../../src/policy/index.js';

const dns = (value: string): RequestedIdentifier => ({ type: 'dns', value });
const ip = (value: string): RequestedIdentifier => ({ type: 'ip', value });

async function rejection(policy: IdentifierPolicy, ids: RequestedIdentifier[]): Promise<CertwrightError> {
  try {
    await policy.check(ids);
  } catch (err) {
    if (err instanceof CertwrightError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(ids)}`);
}

/** Asserts a single-offender rejection: its code, the identifier named and the rule in the detail. */
async function expectRejected(
  policy: IdentifierPolicy,
  id: RequestedIdentifier,
  code: ErrorCode,
  identifier: Identifier | RequestedIdentifier,
  rule: string,
): Promise<void> {
  const err = await rejection(policy, [id]);
  expect(err.code).toBe(code);
  expect(err.subproblems).toHaveLength(1);
  expect(err.subproblems[0]!.code).toBe(code);
  expect(err.subproblems[0]!.identifier).toEqual(identifier);
  expect(err.subproblems[0]!.detail).toContain(`${JSON.stringify(identifier.value)}: `);
  expect(err.subproblems[0]!.detail).toContain(rule);
}

describe('isPublicSuffix (ICANN section)', () => {
  it.each([
    ['com', true],
    ['co.uk', true],
    ['xn--p1ai', true],
    ['example.com', false],
    ['example.co.uk', false],
    ['github.io', false], // private section: ignored
    ['corp', false], // not in the list
    ['', false],
  ])('%s: %s', (name, expected) => {
    expect(isPublicSuffix(name)).toBe(expected);
  });
});

describe('createIdentifierPolicy: accepted identifiers', () => {
  const policy = createIdentifierPolicy({ allowedIpRanges: ['10.0.0.0/8', 'fd00::/8'] });

  it('normalizes, dedupes and sorts', async () => {
    const result = await policy.check([
      dns('WWW.Example.com'),
      ip('FD00:0:0:0:0:0:0:1'),
      dns('XN--Bcher-kva.example'),
      dns('www.example.com'),
      ip('10.0.0.1'),
      dns('*.example.co.uk'),
    ]);
    expect(result).toEqual([
      { type: 'dns', value: '*.example.co.uk' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'xn--bcher-kva.example' },
      { type: 'ip', value: '10.0.0.1' },
      { type: 'ip', value: 'fd00::1' },
    ]);
  });

  it('accepts a wildcard under a registrable domain and names under non-ICANN TLDs', async () => {
    expect(await policy.check([dns('*.example.com'), dns('*.host.corp'), dns('www.ck')])).toEqual([
      { type: 'dns', value: '*.example.com' },
      { type: 'dns', value: '*.host.corp' },
      { type: 'dns', value: 'www.ck' },
    ]);
  });

  it('normalize() returns the canonical form', () => {
    expect(policy.normalize(dns('XN--4CA0BS.Example'))).toEqual({ type: 'dns', value: 'xn--4ca0bs.example' });
    expect(policy.normalize(ip('2001:0db8:0000:0000:0000:0000:0000:0001'))).toEqual({ type: 'ip', value: '2001:db8::1' });
  });
});

describe('createIdentifierPolicy: one rejected example per rule', () => {
  const open = createIdentifierPolicy({ allowedIpRanges: ['10.0.0.0/8', 'fd00::/8'] });

  it('a bare public suffix', async () => {
    await expectRejected(open, dns('CO.uk'), 'rejectedIdentifier', { type: 'dns', value: 'co.uk' }, 'the name is a public suffix');
  });

  it('a wildcard directly under a public suffix', async () => {
    await expectRejected(
      open,
      dns('*.co.uk'),
      'rejectedIdentifier',
      { type: 'dns', value: '*.co.uk' },
      'a wildcard may not sit directly under the public suffix "co.uk"',
    );
    await expectRejected(open, dns('*.com'), 'rejectedIdentifier', { type: 'dns', value: '*.com' }, 'public suffix "com"');
  });

  it('a wildcard directly under a top-level domain missing from the list', async () => {
    await expectRejected(
      open,
      dns('*.corp'),
      'rejectedIdentifier',
      { type: 'dns', value: '*.corp' },
      'a wildcard may not sit directly under the top-level domain "corp"',
    );
  });

  it('a name under a denied suffix, on label boundaries, wildcard label ignored', async () => {
    const policy = createIdentifierPolicy({ deniedSuffixes: ['Example.com'] });
    const rule = 'under the denied suffix "example.com"';
    await expectRejected(policy, dns('www.example.com'), 'rejectedIdentifier', { type: 'dns', value: 'www.example.com' }, rule);
    await expectRejected(policy, dns('example.com'), 'rejectedIdentifier', { type: 'dns', value: 'example.com' }, rule);
    await expectRejected(policy, dns('*.example.com'), 'rejectedIdentifier', { type: 'dns', value: '*.example.com' }, rule);
    expect(await policy.check([dns('badexample.com')])).toEqual([{ type: 'dns', value: 'badexample.com' }]);
  });

  it('a name in Unicode rather than A-labels (RFC 8555 §7.1.4), naming the form to send', async () => {
    await expectRejected(open, dns('shop.Bücher.example'), 'malformed', { type: 'dns', value: 'shop.Bücher.example' }, 'send "shop.xn--bcher-kva.example"');
  });

  it('a name outside the allowed suffixes', async () => {
    const policy = createIdentifierPolicy({ allowedSuffixes: ['.corp', 'example.org', 'bücher.example'] });
    const rule = 'not under any of the allowed suffixes';
    await expectRejected(policy, dns('notexample.org'), 'rejectedIdentifier', { type: 'dns', value: 'notexample.org' }, rule);
    await expectRejected(policy, dns('www.example.net'), 'rejectedIdentifier', { type: 'dns', value: 'www.example.net' }, rule);
    expect(
      // The allowed suffix was configured in Unicode; the client sends the A-label form.
      await policy.check([dns('a.corp'), dns('example.org'), dns('*.example.org'), dns('shop.XN--BCHER-KVA.example')]),
    ).toEqual([
      { type: 'dns', value: '*.example.org' },
      { type: 'dns', value: 'a.corp' },
      { type: 'dns', value: 'example.org' },
      { type: 'dns', value: 'shop.xn--bcher-kva.example' },
    ]);
  });

  it('denial wins over allowance', async () => {
    const policy = createIdentifierPolicy({ allowedSuffixes: ['example.com'], deniedSuffixes: ['secret.example.com'] });
    await expectRejected(
      policy,
      dns('db.secret.example.com'),
      'rejectedIdentifier',
      { type: 'dns', value: 'db.secret.example.com' },
      'under the denied suffix "secret.example.com"',
    );
    expect(await policy.check([dns('www.example.com')])).toHaveLength(1);
  });

  it('an empty allow list refuses every DNS name', async () => {
    const policy = createIdentifierPolicy({ allowedSuffixes: [] });
    await expectRejected(policy, dns('example.com'), 'rejectedIdentifier', { type: 'dns', value: 'example.com' }, 'allowed suffixes');
  });

  it('a DNS syntax error', async () => {
    await expectRejected(open, dns('a.*.example.com'), 'malformed', { type: 'dns', value: 'a.*.example.com' }, 'whole first label');
    await expectRejected(open, dns('example.com.'), 'malformed', { type: 'dns', value: 'example.com.' }, 'may not end with a dot');
  });

  it('IP identifiers when no range is configured', async () => {
    await expectRejected(
      createIdentifierPolicy(),
      ip('10.0.0.1'),
      'rejectedIdentifier',
      { type: 'ip', value: '10.0.0.1' },
      'no allowed IP ranges are configured',
    );
  });

  it('an IP address outside the allowed ranges', async () => {
    await expectRejected(open, ip('192.168.1.1'), 'rejectedIdentifier', { type: 'ip', value: '192.168.1.1' }, 'outside the allowed IP ranges');
    await expectRejected(open, ip('2001:DB8::1'), 'rejectedIdentifier', { type: 'ip', value: '2001:db8::1' }, 'outside the allowed IP ranges');
  });

  it('an IPv4-mapped IPv6 address', async () => {
    await expectRejected(
      open,
      ip('::ffff:a00:1'),
      'rejectedIdentifier',
      { type: 'ip', value: '::ffff:10.0.0.1' },
      'must be requested as the IPv4 address it carries ("10.0.0.1")',
    );
  });

  it('an IPv4 address with leading zeros', async () => {
    await expectRejected(open, ip('010.0.0.1'), 'malformed', { type: 'ip', value: '010.0.0.1' }, 'leading zero');
  });

  it('an IPv6 zone identifier', async () => {
    await expectRejected(open, ip('fd00::1%eth0'), 'malformed', { type: 'ip', value: 'fd00::1%eth0' }, 'zone identifier');
  });

  it('a DNS name as an IP identifier', async () => {
    await expectRejected(open, ip('example.com'), 'malformed', { type: 'ip', value: 'example.com' }, 'not a valid IP address');
  });

  it('an unsupported identifier type', async () => {
    await expectRejected(
      open,
      { type: 'email', value: 'a@example.com' },
      'unsupportedIdentifier',
      { type: 'email', value: 'a@example.com' },
      'identifier type "email" is not supported',
    );
  });

  it('an identifier that is not two strings', async () => {
    const bad = { type: 'dns', value: 42 } as unknown as RequestedIdentifier;
    await expectRejected(open, bad, 'malformed', { type: 'dns', value: '' }, 'string "type" and "value" fields, got {"type":"dns","value":42}');
    await expectRejected(open, null as unknown as RequestedIdentifier, 'malformed', { type: '', value: '' }, 'string "type" and "value" fields, got null');
    const long = { type: 'dns', value: ['x'.repeat(500)] } as unknown as RequestedIdentifier;
    const err = await rejection(open, [long]);
    expect(err.detail).toMatch(/got \{"type":"dns","value":\["x{170,}…$/);
  });

  it('an empty list', async () => {
    const err = await rejection(open, []);
    expect(err.code).toBe('malformed');
    expect(err.detail).toContain('at least one identifier');
  });

  it('too many names, counted after duplicates collapse', async () => {
    const policy = createIdentifierPolicy({ maxNamesPerCertificate: 2 });
    const err = await rejection(policy, [dns('a.example'), dns('b.example'), dns('c.example')]);
    expect(err.code).toBe('malformed');
    expect(err.subproblems).toHaveLength(0);
    expect(err.detail).toContain('3 distinct identifiers');
    expect(err.detail).toContain('the limit (maxNamesPerCertificate) is 2');
    expect(await policy.check([dns('a.example'), dns('A.example'), dns('b.example')])).toHaveLength(2);
  });

  it('has a default limit of 100', async () => {
    expect(DEFAULT_MAX_NAMES_PER_CERTIFICATE).toBe(100);
    const names = Array.from({ length: 101 }, (_, i) => dns(`n${i}.example`));
    expect((await rejection(open, names)).detail).toContain('is 100');
    expect(await open.check(names.slice(0, 100))).toHaveLength(100);
  });
});

describe('createIdentifierPolicy: several offenders', () => {
  it('names every offender in its own subproblem, in request order', async () => {
    const policy = createIdentifierPolicy({ deniedSuffixes: ['internal.example'] });
    const err = await rejection(policy, [
      dns('ok.example'),
      dns('*.co.uk'),
      { type: 'email', value: 'a@example.com' },
      dns('a_b.example'),
      dns('db.internal.example'),
      ip('10.0.0.1'),
      dns('A_B.example'),
    ]);
    expect(err.code).toBe('compound');
    expect(err.subproblems.map((s) => [s.code, s.identifier.value])).toEqual([
      ['rejectedIdentifier', '*.co.uk'],
      ['unsupportedIdentifier', 'a@example.com'],
      ['malformed', 'a_b.example'],
      ['rejectedIdentifier', 'db.internal.example'],
      ['rejectedIdentifier', '10.0.0.1'],
      ['malformed', 'A_B.example'],
    ]);
    for (const s of err.subproblems) expect(s.detail.startsWith(`${JSON.stringify(s.identifier.value)}: `)).toBe(true);
  });

  it('uses the shared code when every offender has the same one', async () => {
    const err = await rejection(createIdentifierPolicy(), [dns('*.com'), dns('co.uk')]);
    expect(err.code).toBe('rejectedIdentifier');
    expect(err.subproblems).toHaveLength(2);
  });

  it('reports a repeated offender once', async () => {
    const err = await rejection(createIdentifierPolicy(), [dns('a_b.example'), dns('a_b.example'), dns('*.com')]);
    expect(err.subproblems.map((s) => s.identifier.value)).toEqual(['a_b.example', '*.com']);
  });
});

describe('createIdentifierPolicy: extraCheck', () => {
  it('refuses with the returned reason, sees normalized identifiers that passed every other rule', async () => {
    const extraCheck = vi.fn(async (id: Identifier) => (id.value.startsWith('legacy.') ? 'legacy hosts are retired' : undefined));
    const policy = createIdentifierPolicy({ extraCheck });
    const err = await rejection(policy, [dns('Legacy.Example.com'), dns('www.example.com'), dns('*.com')]);
    expect(err.code).toBe('rejectedIdentifier');
    expect(err.subproblems.map((s) => s.detail)).toEqual([
      '"legacy.example.com": legacy hosts are retired',
      '"*.com": a wildcard may not sit directly under the public suffix "com"',
    ]);
    expect(extraCheck.mock.calls.map((c) => c[0])).toEqual([
      { type: 'dns', value: 'legacy.example.com' },
      { type: 'dns', value: 'www.example.com' },
    ]);
  });

  it('treats an empty reason as a refusal', async () => {
    const policy = createIdentifierPolicy({ extraCheck: async () => '' });
    await expectRejected(policy, dns('www.example.com'), 'rejectedIdentifier', { type: 'dns', value: 'www.example.com' }, 'refused by site policy');
  });

  it('lets an error thrown by the callback propagate', async () => {
    const boom = new Error('directory unavailable');
    const policy = createIdentifierPolicy({ extraCheck: async () => Promise.reject(boom) });
    await expect(policy.check([dns('www.example.com')])).rejects.toBe(boom);
  });
});

describe('createIdentifierPolicy: configuration errors', () => {
  it.each([
    [{ allowedIpRanges: ['10.0.0.1/8'] }, RangeError, 'did you mean 10.0.0.0/8'],
    [{ allowedIpRanges: ['not-a-range'] }, RangeError, 'Invalid CIDR range "not-a-range"'],
    [{ deniedSuffixes: ['bad_suffix.com'] }, RangeError, 'Invalid domain suffix "bad_suffix.com"'],
    [{ allowedSuffixes: ['example.com.'] }, RangeError, 'may not end with a dot'],
    [{ allowedSuffixes: ['*.example.com'] }, RangeError, 'Invalid domain suffix'],
    [{ allowedSuffixes: [''] }, RangeError, 'may not be empty'],
    [{ maxNamesPerCertificate: 0 }, RangeError, 'positive integer'],
    [{ maxNamesPerCertificate: 1.5 }, RangeError, 'positive integer'],
    [{ extraCheck: 'nope' as unknown as () => Promise<void> }, TypeError, 'extraCheck must be a function'],
  ])('%j', (config, type, message) => {
    expect(() => createIdentifierPolicy(config)).toThrow(type);
    expect(() => createIdentifierPolicy(config)).toThrow(message);
  });
});

describe('createIdentifierPolicy: properties', () => {
  const policy = createIdentifierPolicy();
  const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
  const unicodeLabel = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 });
  const nameish = fc.oneof(
    fc.domain(),
    fc.array(fc.oneof(label, unicodeLabel), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.')),
    fc.domain().map((d) => `*.${d}`),
  );

  function normalizeOrError(id: RequestedIdentifier): Identifier | CertwrightError {
    try {
      return policy.normalize(id);
    } catch (err) {
      if (err instanceof CertwrightError) return err;
      throw err;
    }
  }

  it('normalize is idempotent on accepted names', () => {
    let accepted = 0;
    fc.assert(
      fc.property(nameish, (value) => {
        const first = normalizeOrError(dns(value));
        if (first instanceof CertwrightError) return;
        accepted++;
        expect(policy.normalize(first)).toEqual(first);
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('normalize never throws anything but a CertwrightError with one subproblem', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('dns', 'ip', 'email', 'DNS', ''),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), nameish, fc.ipV4(), fc.ipV6(), fc.ipV4Extended()),
        (type, value) => {
          const result = normalizeOrError({ type, value });
          if (result instanceof CertwrightError) {
            expect(['malformed', 'unsupportedIdentifier']).toContain(result.code);
            expect(result.subproblems).toHaveLength(1);
          } else {
            expect(policy.normalize(result)).toEqual(result);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('IP normalization is idempotent and yields canonical text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (value) => {
        const first = policy.normalize(ip(value));
        expect(policy.normalize(first)).toEqual(first);
        expect(first.value).toBe(first.value.toLowerCase());
      }),
      { numRuns: 300 },
    );
  });
});
