import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCsr } from '../../src/csr/build.js';
import { parseCsr, parseCsrDer, type ParsedCsr } from '../../src/csr/parse.js';
import { generateSoftwareSigner } from '../../src/signers/software.js';
import { checkCsrMatchesOrder, csrIdentifiers } from '../../src/csr/identifiers.js';
import { CertwrightError } from '../../src/errors.js';
import type { Identifier } from '../../src/identifier.js';

const csrFile = (name: string): Promise<ParsedCsr> =>
  parseCsr(readFileSync(new URL(`../fixtures/keys/${name}`, import.meta.url), 'utf8'));
const dns = (value: string): Identifier => ({ type: 'dns', value });
const ip = (value: string): Identifier => ({ type: 'ip', value });

function mismatch(csr: ParsedCsr, order: Identifier[]): CertwrightError {
  try {
    checkCsrMatchesOrder(csr, order);
  } catch (err) {
    if (err instanceof CertwrightError) return err;
    throw err;
  }
  throw new Error('the CSR matched');
}

describe('csrIdentifiers', () => {
  it('lists SANs and the CN, lowercased, deduplicated and sorted', async () => {
    expect(csrIdentifiers(await csrFile('csr-p256.pem'))).toEqual([dns('example.com'), dns('www.example.com')]);
  });

  it('includes IP SANs in canonical form', async () => {
    expect(csrIdentifiers(await csrFile('csr-ip.pem'))).toEqual([dns('ip.example'), ip('192.0.2.1'), ip('2001:db8:0:1::'), ip('2001:db8::1')]);
  });

  it('includes a CN that is not among the SANs, and an IP CN as an ip identifier', async () => {
    expect(csrIdentifiers(await csrFile('csr-cn-not-san.pem'))).toEqual([dns('example.com'), dns('other.example')]);
    const csr: ParsedCsr = { ...(await csrFile('csr-ip.pem')), commonName: '2001:DB8::0:1' };
    expect(csrIdentifiers(csr)).toContainEqual(ip('2001:db8::1'));
    expect(csrIdentifiers(csr)).toHaveLength(4);
  });
});

describe('checkCsrMatchesOrder', () => {
  it('accepts exactly the order identifiers, in any order and case', async () => {
    const csr = await csrFile('csr-p256.pem');
    expect(() => checkCsrMatchesOrder(csr, [dns('www.example.com'), dns('Example.COM')])).not.toThrow();
  });

  it('accepts IP identifiers written non-canonically in the order', async () => {
    const csr = await csrFile('csr-ip.pem');
    expect(() =>
      checkCsrMatchesOrder(csr, [ip('2001:0db8::0001'), ip('192.0.2.1'), ip('2001:db8:0:1:0:0:0:0'), dns('ip.example')]),
    ).not.toThrow();
  });

  it('lists missing names', async () => {
    const err = mismatch(await csrFile('csr-p256.pem'), [dns('example.com'), dns('www.example.com'), dns('api.example.com')]);
    expect(err.code).toBe('badCSR');
    expect(err.detail).toBe('the CSR names do not match the order: missing dns:api.example.com');
  });

  it('lists extra names', async () => {
    const err = mismatch(await csrFile('csr-p256.pem'), [dns('example.com')]);
    expect(err.code).toBe('badCSR');
    expect(err.detail).toBe('the CSR names do not match the order: not in the order dns:www.example.com');
  });

  it('lists missing and extra names together', async () => {
    const err = mismatch(await csrFile('csr-ip.pem'), [dns('ip.example'), ip('192.0.2.1'), ip('2001:db8::1'), ip('10.0.0.1')]);
    expect(err.detail).toBe('the CSR names do not match the order: missing ip:10.0.0.1; not in the order ip:2001:db8:0:1::');
  });

  it('accepts a CN that is not among the SANs when it is one of the order names (RFC 8555 §7.4: the commonName, a SAN or both)', async () => {
    const csr = await csrFile('csr-cn-not-san.pem');
    expect(() => checkCsrMatchesOrder(csr, [dns('example.com'), dns('Other.Example')])).not.toThrow();
  });

  it('counts the CN among the names asked for: a CN outside the order is an extra name', async () => {
    const err = mismatch(await csrFile('csr-cn-not-san.pem'), [dns('example.com')]);
    expect(err.code).toBe('badCSR');
    expect(err.detail).toBe('the CSR names do not match the order: not in the order dns:other.example');
  });

  it('accepts a CSR with only a CN, and refuses it for an order with other names', async () => {
    const csr = await csrFile('csr-cn-only.pem');
    expect(() => checkCsrMatchesOrder(csr, [dns('cn-only.example')])).not.toThrow();
    const err = mismatch(csr, [dns('cn-only.example'), dns('www.cn-only.example')]);
    expect(err.detail).toBe('the CSR names do not match the order: missing dns:www.cn-only.example');
  });

  it('refuses an IP address in the CN that is not also an iPAddress SAN', async () => {
    const signer = await generateSoftwareSigner('P-256');
    const csr = await parseCsrDer(await buildCsr({ signer, identifiers: [], commonName: '192.0.2.7' }));
    const err = mismatch(csr, [ip('192.0.2.7')]);
    expect(err.code).toBe('badCSR');
    expect(err.detail).toMatch(/commonName "192\.0\.2\.7" is an IP address that is not among its subjectAltNames; request IP addresses as iPAddress subjectAltNames/);
    const withSan = await parseCsrDer(await buildCsr({ signer, identifiers: [ip('192.0.2.7')], commonName: '192.0.2.7' }));
    expect(() => checkCsrMatchesOrder(withSan, [ip('192.0.2.7')])).not.toThrow();
  });
});
