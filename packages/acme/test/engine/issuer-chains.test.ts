import { describe, expect, it } from 'vitest';
import { IssuerSet, crossSign, cryptoRandom, systemClock, withAlternateChain } from '@certwright/core';
import { createTestHierarchy } from '@certwright/core/testing';
import { issuerChains } from '../../src/engine/issuer-chains.js';

describe('issuerChains', () => {
  it('serves each path without its root, alternate paths included, and nothing for unknown issuers', async () => {
    const a = await createTestHierarchy({ name: 'Chains A' });
    const b = await createTestHierarchy({ name: 'Chains B' });
    const cross = await crossSign({ subject: a.intermediate, by: b.root, validitySeconds: 86400 * 30, clock: systemClock(), random: cryptoRandom() });
    const issuer = withAlternateChain(a.intermediate, cross);
    expect(issuer.alternateChains).toHaveLength(1);
    const chains = issuerChains(new IssuerSet([issuer]));
    const served = chains(issuer.id)!;
    expect(served.chain).toEqual([a.intermediate.certificate]);
    expect(served.alternateChains).toEqual([issuer.alternateChains[0]!.slice(0, -1)]);
    expect(served.alternateChains[0]![served.alternateChains[0]!.length - 1]).not.toEqual(b.root.certificate);
    expect(chains('unknown')).toBeUndefined();
  });
});
