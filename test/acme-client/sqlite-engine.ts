import { createTestHierarchy } from '@certwright/core/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DAY,
  HOUR,
  IssuerSet,
  createIdentifierPolicy,
  createIssuanceEngine,
  cryptoRandom,
  defaultProfiles,
  silentLogger,
  systemClock,
} from '@certwright/core';
import type { Issuer } from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';
import { autoValidValidator, createAcmeServer, issuerChains } from '../../packages/acme/src/engine/index.js';
import type { AcmeServer } from '../../packages/acme/src/engine/index.js';

let hierarchy: Promise<{ root: Issuer; intermediate: Issuer }> | undefined;

/** One P-256 root and intermediate per test file. */
export function e2eHierarchy(): Promise<{ root: Issuer; intermediate: Issuer }> {
  hierarchy ??= (async () => {
    const { root, intermediate } = await createTestHierarchy({ name: 'acme-client E2E' });
    return { root, intermediate };
  })();
  return hierarchy;
}

/** An engine on a fresh, migrated SQLite file with auto-valid challenges; `dispose` closes the store and deletes the file. */
export async function sqliteEngine(baseUrl: string): Promise<{ engine: AcmeServer; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-acme-client-'));
  const store = await openSqlStore({ url: `sqlite:${join(dir, 'ca.sqlite')}` });
  await store.migrate();
  const { intermediate } = await e2eHierarchy();
  const clock = systemClock();
  const random = cryptoRandom();
  const issuers = new IssuerSet([intermediate]);
  const engine = createAcmeServer({
    baseUrl,
    store,
    issuance: createIssuanceEngine({ store, issuers, profiles: defaultProfiles(), clock, random }),
    chains: issuerChains(issuers),
    identifierPolicy: createIdentifierPolicy({}),
    validators: [autoValidValidator('http-01'), autoValidValidator('dns-01')],
    clock,
    logger: silentLogger,
    random,
    profiles: [{ name: 'default', description: '90-day TLS certificate' }],
    defaultProfile: 'default',
    lifetimes: { order: DAY, authorization: DAY, pendingAuthorization: HOUR, nonce: HOUR },
    authorizationReuse: { enabled: true, minRemainingMs: HOUR },
    preAuthorization: false,
    retryAfterSeconds: 1,
  });
  return {
    engine,
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
