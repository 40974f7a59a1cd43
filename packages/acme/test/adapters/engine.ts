import { createTestHierarchy } from '@certwright/core/testing';
import {
  IssuerSet,
  MemoryStore,
  createIdentifierPolicy,
  createIssuanceEngine,
  cryptoRandom,
  defaultProfiles,
  silentLogger,
  systemClock,
  DAY,
  HOUR,
} from '@certwright/core';
import type { Issuer } from '@certwright/core';
import { autoValidValidator, createAcmeServer, issuerChains } from '../../src/engine/index.js';
import type { AcmeServer, Validator } from '../../src/engine/index.js';

/** An auto-valid validator that takes 20 ms, so that a challenge response is reliably still `processing`. */
function slowAutoValid(type: string): Validator {
  const inner = autoValidValidator(type);
  return {
    type: inner.type,
    identifierTypes: inner.identifierTypes,
    validate: async (input) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return inner.validate(input);
    },
  };
}

let hierarchy: Promise<{ root: Issuer; intermediate: Issuer }> | undefined;

/** One P-256 root and intermediate per test file. */
export function testHierarchy(): Promise<{ root: Issuer; intermediate: Issuer }> {
  hierarchy ??= (async () => {
    const { root, intermediate } = await createTestHierarchy({ name: 'Adapter Test' });
    return { root, intermediate };
  })();
  return hierarchy;
}

/** An engine on a MemoryStore with (slightly delayed) auto-valid http-01 and dns-01, serving at `baseUrl`. */
export async function testEngine(baseUrl: string): Promise<AcmeServer> {
  const { intermediate } = await testHierarchy();
  const store = new MemoryStore();
  const clock = systemClock();
  const random = cryptoRandom();
  const issuers = new IssuerSet([intermediate]);
  return createAcmeServer({
    baseUrl,
    store,
    issuance: createIssuanceEngine({ store, issuers, profiles: defaultProfiles(), clock, random }),
    chains: issuerChains(issuers),
    identifierPolicy: createIdentifierPolicy({}),
    validators: [slowAutoValid('http-01'), slowAutoValid('dns-01')],
    clock,
    logger: silentLogger,
    random,
    lifetimes: { order: DAY, authorization: DAY, pendingAuthorization: HOUR, nonce: HOUR },
    authorizationReuse: { enabled: false, minRemainingMs: 0 },
    preAuthorization: false,
    retryAfterSeconds: 1,
  });
}
