import { describe, expect, it } from 'vitest';
import { MINUTE, type Identifier } from '@certwright/core';
import type { CaaRecord, DnsResolver } from '../../src/validation/dns-resolver.js';
import { DnsLookupError } from '../../src/validation/dns-error.js';
import type { ValidationInput } from '../../src/engine/validator.js';
import { dns, jsonBody, makeCa, makeCsr, TestClient } from './helpers.js';

/** A resolver answering CAA from a table; every name without an entry has no CAA records. */
function caaResolver(table: Record<string, CaaRecord[]>): DnsResolver & { queried: string[] } {
  const queried: string[] = [];
  const none = (type: 'A' | 'AAAA' | 'TXT') => async (name: string): Promise<never> => {
    throw new DnsLookupError('nodata', name, type);
  };
  return {
    queried,
    resolveA: none('A'),
    resolveAaaa: none('AAAA'),
    resolveTxt: none('TXT'),
    async resolveCaa(name) {
      queried.push(name);
      return table[name] ?? [];
    },
  };
}

const issue = (value: string): CaaRecord => ({ flags: 0, tag: 'issue', value });

describe('CAA recheck at finalize', () => {
  async function readyTwoNames(resolver: DnsResolver, maxAgeMs: number) {
    const ca = await makeCa({ caaRecheck: { maxAgeMs, resolver, config: { issuerDomains: ['ca.example'] } } });
    const client = new TestClient(ca.server);
    const names: Identifier[] = [dns('first.example.org'), dns('second.example.org')];
    const { url, order } = await client.readyOrder(ca, names);
    expect(order['status']).toBe('ready');
    return { ca, client, names, url, order };
  }

  it('rechecks every stale identifier on its own, and refuses when only the second forbids issuance', async () => {
    const resolver = caaResolver({ 'second.example.org': [issue('other-ca.example')] });
    const { ca, client, names, url, order } = await readyTwoNames(resolver, 8 * 3600_000);
    ca.clock.advance(9 * 3600_000);
    client.nonce = undefined; // the cached nonce expired with the clock move
    const { csr } = await makeCsr(names);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status, String(fin.body)).toBe(403);
    const problem = jsonBody(fin);
    expect(problem['type']).toBe('urn:ietf:params:acme:error:caa');
    const sub = problem['subproblems'] as { identifier: Identifier; type: string }[];
    expect(sub.map((s) => s.identifier.value)).toEqual(['second.example.org']);
    // Both names were looked up: the first one's records were not reused for the second.
    expect(resolver.queried).toContain('first.example.org');
    expect(resolver.queried).toContain('second.example.org');
    // Nothing moved: the order is still ready.
    expect(jsonBody(await client.post(url, ''))['status']).toBe('ready');
  });

  it('does not recheck validations younger than the configured age', async () => {
    const resolver = caaResolver({ 'second.example.org': [issue('other-ca.example')] });
    const { ca, client, names, order } = await readyTwoNames(resolver, 8 * 3600_000);
    ca.clock.advance(10 * MINUTE);
    const { csr } = await makeCsr(names);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status).toBe(200);
    expect(resolver.queried).toEqual([]);
  });

  it('fails closed when the CAA lookup fails', async () => {
    const resolver = caaResolver({});
    resolver.resolveCaa = async (name) => {
      throw new DnsLookupError('servfail', name, 'CAA');
    };
    const { ca, client, names, order } = await readyTwoNames(resolver, 0);
    ca.clock.advance(1000);
    client.nonce = undefined;
    const { csr } = await makeCsr(names);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status).toBeGreaterThanOrEqual(400);
    expect((jsonBody(fin)['subproblems'] as unknown[]).length).toBe(2);
  });
});

describe('validators receive the wildcard flag', () => {
  it('is true for a wildcard authorization and false otherwise', async () => {
    const seen: ValidationInput[] = [];
    const recording = (type: string) => ({
      type,
      identifierTypes: ['dns' as const],
      async validate(input: ValidationInput) {
        seen.push(input);
        return { record: [] };
      },
    });
    const ca = await makeCa({ validators: [recording('dns-01'), recording('http-01')] });
    const client = new TestClient(ca.server);
    await client.readyOrder(ca, [dns('*.wild.example.org'), dns('plain.example.org')], 'dns-01');
    const byName = new Map(seen.map((s) => [s.identifier.value, s.wildcard]));
    expect(byName.get('wild.example.org')).toBe(true);
    expect(byName.get('plain.example.org')).toBe(false);
  });
});
