import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.js';
import { createTestHierarchy } from '../src/testing/index.js';
import { splitSigned } from '../src/x509/certificate.js';
import { createVerifier } from '../src/signers/verify.js';
import { commonNameOf } from '../src/x509/name.js';
import { decodeTbs } from '../src/x509/tbs.js';

describe('@certwright/core/testing createTestHierarchy', () => {
  it('makes an issuing CA signed by its root, with the requested names, key type and clock', async () => {
    const clock = new FakeClock('2030-06-01T00:00:00Z');
    const { root, intermediate, issuers } = await createTestHierarchy({ name: 'Unit', keyType: 'P-384', clock });
    expect(issuers.activeFor('P-384')).toBe(intermediate);
    expect(intermediate.keyType).toBe('P-384');
    expect(commonNameOf(root.subjectDer)).toBe('Unit Root');
    expect(commonNameOf(intermediate.subjectDer)).toBe('Unit Issuing CA');
    expect(intermediate.chain[intermediate.chain.length - 1]).toEqual(root.certificate);
    const { tbs, signature } = splitSigned(intermediate.certificate);
    expect(await createVerifier(root.spki).verify(root.signer.algorithm, tbs, signature)).toBe(true);
    expect(decodeTbs(tbs).notAfter.getTime()).toBeGreaterThan(clock.now().getTime() + 4 * 365 * 86400_000);
  });
});
