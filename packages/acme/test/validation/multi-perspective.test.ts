import { afterEach, describe, expect, it } from 'vitest';
import { CertwrightError, isCertwrightError } from '@certwright/core';
import type { Validator } from '../../src/engine/validator.js';
import { createConnectionPolicy } from '../../src/validation/connection-policy.js';
import { http01Validator } from '../../src/validation/http01.js';
import { multiPerspectiveValidator } from '../../src/validation/multi-perspective.js';
import { KEY_AUTHZ, inputFor, memoryResolver, startHttpServer } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function failure(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    if (isCertwrightError(err)) return err;
    throw err;
  }
  throw new Error('expected the validation to fail');
}

function fake(outcome: 'ok' | CertwrightError | Error, type = 'http-01'): Validator & { calls: number } {
  const v = {
    type,
    identifierTypes: ['dns', 'ip'] as const,
    calls: 0,
    async validate() {
      v.calls++;
      if (outcome === 'ok') return { record: [{ saw: 'key authorization' }] };
      throw outcome;
    },
  };
  return v;
}

describe('multiPerspectiveValidator', () => {
  it('passes with a quorum, recording every perspective', async () => {
    const perspectives = [
      { name: 'us-east', validator: fake('ok') },
      { name: 'eu-west', validator: fake(new CertwrightError('connection', 'Timed out connecting to 192.0.2.1 port 80')) },
      { name: 'ap-south', validator: fake('ok') },
    ];
    const v = multiPerspectiveValidator({ perspectives, quorum: 2 });
    expect(v.type).toBe('http-01');
    const result = await v.validate(inputFor('a.test'));
    expect(result.record).toEqual([
      { perspective: 'us-east', ok: true, record: [{ saw: 'key authorization' }] },
      { perspective: 'eu-west', ok: false, problem: { type: 'connection', detail: 'Timed out connecting to 192.0.2.1 port 80' } },
      { perspective: 'ap-south', ok: true, record: [{ saw: 'key authorization' }] },
    ]);
    expect(perspectives.every((p) => p.validator.calls === 1)).toBe(true);
  });

  it('fails below the quorum with the commonest code and every failure listed', async () => {
    const v = multiPerspectiveValidator({
      perspectives: [
        fake('ok'),
        fake(new CertwrightError('incorrectResponse', 'wrong body at eu')),
        fake(new CertwrightError('incorrectResponse', 'wrong body at ap')),
        fake(new Error('internal secret')),
      ],
      quorum: 3,
    });
    const err = await failure(v.validate(inputFor('a.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toBe(
      '1 of 4 perspectives validated a.test, 3 required. Failures — perspective-2: wrong body at eu; perspective-3: wrong body at ap; perspective-4: The server experienced an internal error',
    );
  });

  it('refuses an invalid configuration', () => {
    expect(() => multiPerspectiveValidator({ perspectives: [], quorum: 1 })).toThrow(/at least one perspective/);
    expect(() => multiPerspectiveValidator({ perspectives: [fake('ok'), fake('ok', 'dns-01')], quorum: 1 })).toThrow(/perspective-2 validates dns-01, not http-01/);
    expect(() => multiPerspectiveValidator({ perspectives: [fake('ok')], quorum: 2 })).toThrow(/quorum must be between 1 and 1/);
  });

  it('offers only the identifier types every perspective supports', () => {
    const dnsOnly = { ...fake('ok'), identifierTypes: ['dns'] as const };
    expect(multiPerspectiveValidator({ perspectives: [fake('ok'), dnsOnly], quorum: 1 }).identifierTypes).toEqual(['dns']);
  });

  it('combines real http-01 validators that see different DNS answers', async () => {
    const server = await startHttpServer((_req, res) => res.end(KEY_AUTHZ));
    closers.push(() => server.close());
    const policy = createConnectionPolicy({ allowedRanges: ['127.0.0.0/8'], ports: { http01: server.port } });
    const honest = http01Validator({ resolver: memoryResolver({ a: { 'mp.test': ['127.0.0.1'] } }), policy, timeoutMs: 2000 });
    const hijacked = http01Validator({ resolver: memoryResolver({ a: { 'mp.test': ['10.9.9.9'] } }), policy, timeoutMs: 2000 });
    const perspectives = [
      { name: 'local', validator: honest },
      { name: 'remote', validator: hijacked },
    ];
    await expect(multiPerspectiveValidator({ perspectives, quorum: 1 }).validate(inputFor('mp.test'))).resolves.toBeDefined();
    const err = await failure(multiPerspectiveValidator({ perspectives, quorum: 2 }).validate(inputFor('mp.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('remote: The connection policy forbids dialling mp.test (resolved to 10.9.9.9)');
  });
});
