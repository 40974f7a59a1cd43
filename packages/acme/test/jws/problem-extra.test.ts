import { describe, expect, it } from 'vitest';
import { CertwrightError, toProblem } from '@certwright/core';

describe('problem extension members (used for `algorithms`, RFC 8555 §6.2)', () => {
  it('adds extra members to the problem document', () => {
    const p = toProblem(new CertwrightError('badSignatureAlgorithm', 'no', { extra: { algorithms: ['ES256'] } }));
    expect(p.document).toEqual({ type: 'urn:ietf:params:acme:error:badSignatureAlgorithm', detail: 'no', status: 400, algorithms: ['ES256'] });
  });
  it('never lets extra members replace type, detail, status, instance or subproblems', () => {
    const err = new CertwrightError('malformed', 'real detail', { extra: { type: 'x', detail: 'y', status: 200, instance: 'z', subproblems: [], other: 1 } });
    expect(toProblem(err).document).toEqual({ type: 'urn:ietf:params:acme:error:malformed', detail: 'real detail', status: 400, other: 1 });
  });
});
