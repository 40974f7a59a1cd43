import { afterEach, describe, expect, it, vi } from 'vitest';
import { MINUTE, MemoryStore } from '@certwright/core';
import type { AcmeServerOptions } from '../../src/engine/index.js';
import { openSqlStore } from '@certwright/core/sql';
import type { Store } from '@certwright/core';
import type { Validator } from '../../src/engine/validator.js';
import { VALIDATION_RECORDING_ALLOWANCE_MS } from '../../src/engine/validation-recovery.js';
import { TestClient, countingValidator, dns, jsonBody, makeCa } from './helpers.js';
import type { TestCa } from './helpers.js';
import { openFreshPostgres } from '../../../core/test/sql/databases.js';

/*
 * Validations a crash interrupted (RFC 8555 §7.5.1, §7.1.6): a challenge
 * left `processing` is validated again by recoverValidations() (start-up,
 * database owned alone) or, once past the validation recovery timeout, by
 * recover() (any node of a shared database), and an authorization left
 * pending beside a decided challenge (the crash fell between the two
 * writes) takes the challenge's outcome when read.
 */

const opened: Store[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

/** The test CA's validationTimeoutMs (helpers.ts) plus the allowance: the default validation recovery timeout there. */
const TIMEOUT = 5 * MINUTE + VALIDATION_RECORDING_ALLOWANCE_MS;


/** An http-01 validator that never answers, as a process killed mid-validation. */
const hanging: Validator = { type: 'http-01', identifierTypes: ['dns', 'ip'], validate: () => new Promise(() => {}) };

interface Interrupted {
  store: Store;
  client: TestClient;
  orderUrl: string;
  authzUrl: string;
  challengeUrl: string;
  challengeId: string;
}

/** An order whose http-01 challenge was POSTed on a server that then "died" while validating. */
async function interruptedValidation(name: string, store: Store = new MemoryStore()): Promise<Interrupted> {
  const crashed = await makeCa({ validators: [hanging, countingValidator('dns-01')] }, store);
  const client = new TestClient(crashed.server);
  await client.register();
  const created = await client.newOrder([dns(name)]);
  const orderUrl = String(created.headers['Location']);
  const authzUrl = (jsonBody(created)['authorizations'] as string[])[0]!;
  const challenge = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
  expect(jsonBody(await client.post(challenge.url, {}))['status']).toBe('processing');
  return { store, client, orderUrl, authzUrl, challengeUrl: challenge.url, challengeId: challenge.url.split('/').pop()! };
}

/** An order whose http-01 challenge code before schema version 3 moved to processing: no start recorded. */
async function unrecordedValidation(name: string, store: Store): Promise<{ challengeId: string }> {
  const ca = await makeCa({}, store);
  const client = new TestClient(ca.server);
  await client.register();
  const authzUrl = (jsonBody(await client.newOrder([dns(name)]))['authorizations'] as string[])[0]!;
  const challenge = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
  const challengeId = challenge.url.split('/').pop()!;
  expect(await store.transitionChallenge(challengeId, 'pending', 'processing')).not.toHaveProperty('processingAt');
  return { challengeId };
}

/** The server restarted on the same store; the client's account carried over. */
async function restart(i: Interrupted, overrides: Partial<AcmeServerOptions> = {}): Promise<{ ca: TestCa; client: TestClient }> {
  const ca = await makeCa(overrides, i.store);
  const client = new TestClient(ca.server, i.client.key);
  client.kid = i.client.kid;
  return { ca, client };
}

describe('ACME engine: recovery of interrupted validations', () => {
  it('validates a challenge left processing again, and the authorization and order follow', async () => {
    const interrupted = await interruptedValidation('again.example.com');
    const { ca, client } = await restart(interrupted);
    expect(await ca.server.recoverValidations()).toEqual([interrupted.challengeId]);
    await ca.server.drain();
    expect(ca.validators[0]!.calls).toBe(1);
    expect(jsonBody(await client.post(interrupted.challengeUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(interrupted.authzUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(interrupted.orderUrl, ''))['status']).toBe('ready');
    // Nothing is left to recover.
    expect(await ca.server.recoverValidations()).toEqual([]);
  });

  it('fails a challenge left processing whose authorization is no longer pending', async () => {
    const interrupted = await interruptedValidation('gone.example.com');
    const authzId = interrupted.authzUrl.split('/').pop()!;
    await interrupted.store.transitionAuthorization(authzId, 'pending', 'deactivated');
    const { ca, client } = await restart(interrupted);
    expect(await ca.server.recoverValidations()).toEqual([]);
    const challenge = jsonBody(await client.post(interrupted.challengeUrl, ''));
    expect(challenge['status']).toBe('invalid');
    expect(challenge['error']).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal', detail: 'validation was interrupted and the authorization is no longer pending' });
    expect(ca.validators[0]!.calls).toBe(0);
  });

  it('makes a pending authorization valid when its challenge was stored valid before the crash', async () => {
    const interrupted = await interruptedValidation('half-valid.example.com');
    await interrupted.store.transitionChallenge(interrupted.challengeId, 'processing', 'valid', { validatedAt: new Date('2026-03-01T00:00:01Z'), validationRecord: [] });
    const { client } = await restart(interrupted);
    expect(jsonBody(await client.post(interrupted.authzUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(interrupted.orderUrl, ''))['status']).toBe('ready');
  });

  it('makes a pending authorization invalid, with its other challenges, when its challenge was stored invalid before the crash', async () => {
    const interrupted = await interruptedValidation('half-invalid.example.com');
    const error = { type: 'urn:ietf:params:acme:error:connection', detail: 'refused', status: 400 };
    await interrupted.store.transitionChallenge(interrupted.challengeId, 'processing', 'invalid', { error });
    const { client } = await restart(interrupted);
    const authz = jsonBody(await client.post(interrupted.authzUrl, ''));
    expect(authz['status']).toBe('invalid');
    const stored = await interrupted.store.getAuthorization(interrupted.authzUrl.split('/').pop()!);
    expect(stored!.challenges.map((c) => c.status)).toEqual(stored!.challenges.map(() => 'invalid'));
    expect(stored!.challenges.length).toBeGreaterThan(1);
    expect(jsonBody(await client.post(interrupted.orderUrl, ''))['status']).toBe('invalid');
  });
});

describe('ACME engine: recovery of interrupted validations on a shared database (recover())', () => {
  it('records when the validation started; validates again a challenge processing past the timeout, not before', async () => {
    const interrupted = await interruptedValidation('stale.example.com');
    expect((await interrupted.store.getChallenge(interrupted.challengeId))?.processingAt).toEqual(new Date('2026-03-01T00:00:00Z'));
    const { ca, client } = await restart(interrupted);
    ca.clock.advance(TIMEOUT);
    expect((await ca.server.recover()).validations).toEqual({ restarted: [], failed: [] });
    expect(jsonBody(await client.post(interrupted.challengeUrl, ''))['status']).toBe('processing');
    ca.clock.advance(1);
    expect((await ca.server.recover()).validations).toEqual({ restarted: [interrupted.challengeId], failed: [] });
    await ca.server.drain();
    expect(ca.validators[0]!.calls).toBe(1);
    expect(jsonBody(await client.post(interrupted.challengeUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(interrupted.authzUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(interrupted.orderUrl, ''))['status']).toBe('ready');
    expect((await ca.server.recover()).validations).toEqual({ restarted: [], failed: [] });
  });

  it('a take-over restarts the clock: a recovery that dies while revalidating leaves the challenge to be taken again only after another timeout', async () => {
    const interrupted = await interruptedValidation('twice.example.com');
    const { ca: dying } = await restart(interrupted, { validators: [hanging] });
    dying.clock.advance(TIMEOUT + 1);
    expect((await dying.server.recover()).validations.restarted).toEqual([interrupted.challengeId]);
    expect((await interrupted.store.getChallenge(interrupted.challengeId))?.processingAt).toEqual(dying.clock.now());
    const { ca } = await restart(interrupted);
    ca.clock.advance(TIMEOUT + 1);
    expect((await ca.server.recover()).validations.restarted).toEqual([]);
    ca.clock.advance(TIMEOUT + 1);
    expect((await ca.server.recover()).validations.restarted).toEqual([interrupted.challengeId]);
    await ca.server.drain();
    expect((await interrupted.store.getChallenge(interrupted.challengeId))?.status).toBe('valid');
  });

  it('two nodes recovering at once take the challenge once', async () => {
    const interrupted = await interruptedValidation('race.example.com');
    const nodes = [(await restart(interrupted)).ca, (await restart(interrupted)).ca];
    for (const node of nodes) node.clock.advance(TIMEOUT + 1);
    const reports = await Promise.all(nodes.map((node) => node.server.recover()));
    expect(reports.flatMap((r) => r.validations.restarted)).toEqual([interrupted.challengeId]);
    await Promise.all(nodes.map((node) => node.server.drain()));
    expect(nodes[0]!.validators[0]!.calls + nodes[1]!.validators[0]!.calls).toBe(1);
    expect((await interrupted.store.getChallenge(interrupted.challengeId))?.status).toBe('valid');
  });

  it('fails a stale challenge whose authorization is no longer pending', async () => {
    const interrupted = await interruptedValidation('stale-gone.example.com');
    await interrupted.store.transitionAuthorization(interrupted.authzUrl.split('/').pop()!, 'pending', 'deactivated');
    const { ca, client } = await restart(interrupted);
    ca.clock.advance(TIMEOUT + 1);
    expect((await ca.server.recover()).validations).toEqual({ restarted: [], failed: [interrupted.challengeId] });
    expect(jsonBody(await client.post(interrupted.challengeUrl, ''))['error']).toMatchObject({ detail: 'validation was interrupted and the authorization is no longer pending' });
    expect(ca.validators[0]!.calls).toBe(0);
  });

  it('leaves a challenge whose start was not recorded (code before schema version 3) to start-up recovery', async () => {
    const interrupted = await interruptedValidation('recorded.example.com');
    const unrecorded = await unrecordedValidation('unrecorded.example.com', interrupted.store);
    const { ca } = await restart(interrupted);
    ca.clock.advance(10 * TIMEOUT);
    expect((await ca.server.recover()).validations.restarted).toEqual([interrupted.challengeId]);
    await ca.server.drain();
    expect((await interrupted.store.getChallenge(unrecorded.challengeId))?.status).toBe('processing');
    // Start-up recovery on a database owned alone takes it; the take-over records its start.
    expect(await ca.server.recoverValidations()).toEqual([unrecorded.challengeId]);
    await ca.server.drain();
    expect(await interrupted.store.getChallenge(unrecorded.challengeId)).toMatchObject({ status: 'valid', processingAt: ca.clock.now() });
  });

  it('runs in the periodic recovery', async () => {
    const interrupted = await interruptedValidation('periodic.example.com');
    const { ca } = await restart(interrupted);
    ca.clock.advance(TIMEOUT + 1);
    ca.server.startRecovery({ intervalMs: 5 });
    await vi.waitFor(async () => expect((await interrupted.store.getChallenge(interrupted.challengeId))?.status).toBe('valid'), { timeout: 2000, interval: 10 });
    await ca.server.close();
  });

  it('validates again a stale challenge over the SQL store (SQLite)', async () => {
    const store = await openSqlStore({ url: 'sqlite::memory:' });
    await store.migrate();
    opened.push(store);
    const interrupted = await interruptedValidation('sql.example.com', store);
    const { ca } = await restart(interrupted);
    ca.clock.advance(TIMEOUT + 1);
    const [first, second] = await Promise.all([ca.server.recover(), ca.server.recover()]);
    expect([...first!.validations.restarted, ...second!.validations.restarted]).toEqual([interrupted.challengeId]);
    await ca.server.drain();
    expect((await store.getChallenge(interrupted.challengeId))?.status).toBe('valid');
  });

  it('refuses a validation recovery timeout not above validationTimeoutMs', async () => {
    await expect(makeCa({ validationTimeoutMs: 60_000, recovery: { validationProcessingTimeoutMs: 60_000 } })).rejects.toThrow(/validationProcessingTimeoutMs must exceed validationTimeoutMs/);
    await expect(makeCa({ recovery: { validationProcessingTimeoutMs: 0 } })).rejects.toThrow(/validationProcessingTimeoutMs must be a positive number/);
  });
});

const postgres = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];
if (postgres === undefined) console.warn('validation recovery: set CERTWRIGHT_TEST_POSTGRES_URL to run the PostgreSQL test');

describe.skipIf(postgres === undefined)('ACME engine: recovery of interrupted validations on a shared PostgreSQL database', () => {
  it('a node dies mid-validation; of two nodes recovering at once past the timeout, exactly one validates again and the order becomes ready', async () => {
    const { store, close } = await openFreshPostgres(postgres!);
    try {
      const interrupted = await interruptedValidation('pg-crash.example.com', store);
      const nodes = [(await restart(interrupted)).ca, (await restart(interrupted)).ca];
      for (const node of nodes) node.clock.advance(TIMEOUT);
      const early = await Promise.all(nodes.map((node) => node.server.recover()));
      expect(early.flatMap((r) => r.validations.restarted)).toEqual([]);
      for (const node of nodes) node.clock.advance(1);
      const reports = await Promise.all(nodes.map((node) => node.server.recover()));
      expect(reports.flatMap((r) => r.validations.restarted)).toEqual([interrupted.challengeId]);
      await Promise.all(nodes.map((node) => node.server.drain()));
      expect(nodes[0]!.validators[0]!.calls + nodes[1]!.validators[0]!.calls).toBe(1);
      const { client } = await restart(interrupted);
      expect(jsonBody(await client.post(interrupted.challengeUrl, ''))['status']).toBe('valid');
      expect(jsonBody(await client.post(interrupted.orderUrl, ''))['status']).toBe('ready');
      await Promise.all(nodes.map((node) => node.server.close()));
    } finally {
      await close();
    }
  });
});
