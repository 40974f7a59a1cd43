import { describe, expect, it } from 'vitest';
import { MemoryStore } from '@certwright/core';
import type { Store } from '@certwright/core';
import type { Validator } from '../../src/engine/validator.js';
import { TestClient, countingValidator, dns, jsonBody, makeCa } from './helpers.js';
import type { TestCa } from './helpers.js';

/*
 * Validations a crash interrupted (RFC 8555 §7.5.1, §7.1.6): a challenge
 * left `processing` is validated again by recoverValidations(), and an
 * authorization left pending beside a decided challenge (the crash fell
 * between the two writes) takes the challenge's outcome when read.
 */

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
async function interruptedValidation(name: string): Promise<Interrupted> {
  const store = new MemoryStore();
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

/** The server restarted on the same store; the client's account carried over. */
async function restart(i: Interrupted): Promise<{ ca: TestCa; client: TestClient }> {
  const ca = await makeCa({}, i.store);
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
