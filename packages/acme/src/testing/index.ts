/**
 * `@certwright/acme/testing` — an in-process ACME CA for tests.
 *
 * {@link createTestCa} starts a complete CA (RFC 8555) on a free loopback
 * port in well under a second: fresh P-256 root and intermediate,
 * in-memory store, node:http adapter. Point any ACME client at
 * `directoryUrl` and trust `rootCertificatePem`.
 *
 * - `challenges: 'auto-valid'` (default) approves every challenge without
 *   network access; `{ validators }` plugs in real validators.
 * - `strict: { rejectNonceRate, reuseAuthorizations: 'random' }` makes the
 *   CA refuse a share of valid nonces with `badNonce` and reuse valid
 *   authorizations only half of the time, so client retry paths run. Both
 *   are store decorators ({@link withNonceRejection},
 *   {@link withRandomAuthorizationReuse}) around the store given to the
 *   engine: the engine itself has no testing switches. Pass a seeded
 *   `random` to make the coin flips reproducible.
 * - `profiles`, `defaultProfile`, `externalAccountRequired` (with
 *   `createEabKey()`), `identifierPolicy` configure the engine.
 *
 * NEVER use a test CA for anything but tests: with auto-valid challenges it
 * certifies any name for anyone.
 *
 * @example
 * ```ts
 * import { createTestCa } from '@certwright/acme/testing';
 * import * as acme from 'acme-client';
 *
 * const ca = await createTestCa();
 * const client = new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey() });
 * const [, csr] = await acme.crypto.createCsr({ altNames: ['app.example.com'] });
 * const pem = await client.auto({ csr, termsOfServiceAgreed: true, skipChallengeVerification: true, challengeCreateFn: async () => {}, challengeRemoveFn: async () => {} });
 * await ca.stop();
 * ```
 * @module
 */
export { createTestCa, TEST_CA_IP_RANGES } from './test-ca.js';
export type { StrictOptions, TestCa, TestCaOptions } from './test-ca.js';
export { overrideStore, withNonceRejection, withRandomAuthorizationReuse } from './strict-store.js';
export { chance, checkProbability } from './chance.js';
export { autoValidValidator } from '../engine/validator.js';
export type { Validator, ValidationInput, ValidationResult } from '../engine/validator.js';
