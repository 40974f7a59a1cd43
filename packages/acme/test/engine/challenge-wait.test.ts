import { describe, expect, it } from 'vitest';
import { CertwrightError } from '@certwright/core';
import type { Validator } from '../../src/index.js';
import { TestClient, dns, header, jsonBody, makeCa } from './helpers.js';
import type { TestCa } from './helpers.js';

/** A new order for `name`; POSTs `{}` to its http-01 challenge and returns the response with the authorization URL. */
async function answerChallenge(ca: TestCa, name: string): Promise<{ client: TestClient; res: Awaited<ReturnType<TestClient['post']>>; authzUrl: string }> {
  const client = new TestClient(ca.server);
  await client.register();
  const created = jsonBody(await client.newOrder([dns(name)]));
  const authzUrl = (created['authorizations'] as string[])[0]!;
  const authz = jsonBody(await client.post(authzUrl, ''));
  const challenge = (authz['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
  const res = await client.post(challenge.url, {});
  return { client, res, authzUrl };
}

/** An http-01 validator that answers after `delayMs` with `outcome`. */
function validator(delayMs: number, outcome: 'valid' | 'refused'): Validator & { finished: boolean } {
  const v = {
    type: 'http-01',
    identifierTypes: ['dns', 'ip'] as ('dns' | 'ip')[],
    finished: false,
    async validate() {
      await new Promise((r) => setTimeout(r, delayMs));
      v.finished = true;
      if (outcome === 'refused') throw new CertwrightError('unauthorized', 'The key authorization did not match');
      return { record: [{ url: 'http://example/.well-known/acme-challenge/x' }] };
    },
  };
  return v;
}

describe('a challenge POST waiting for its validation (challengeWaitMs, RFC 8555 §7.5.1)', () => {
  it('answers at once with the processing challenge and Retry-After by default', async () => {
    const ca = await makeCa();
    const { res } = await answerChallenge(ca, 'default-wait.example');
    expect(res.status).toBe(200);
    expect(jsonBody(res)['status']).toBe('processing');
    expect(header(res, 'Retry-After')).toBeDefined();
    await ca.server.drain();
  });

  it('answers with the valid challenge when the validation ends within the wait, and the authorization is valid by then', async () => {
    const ca = await makeCa({ challengeWaitMs: 5000, validators: [validator(5, 'valid')] });
    const { client, res, authzUrl } = await answerChallenge(ca, 'waited.example');
    const body = jsonBody(res);
    expect(body['status']).toBe('valid');
    expect(typeof body['validated']).toBe('string');
    expect(header(res, 'Retry-After')).toBeUndefined();
    expect(jsonBody(await client.post(authzUrl, ''))['status']).toBe('valid');
  });

  it('answers with the invalid challenge and its error when the validation fails within the wait', async () => {
    const ca = await makeCa({ challengeWaitMs: 5000, validators: [validator(5, 'refused')] });
    const { res } = await answerChallenge(ca, 'refused.example');
    const body = jsonBody(res);
    expect(body['status']).toBe('invalid');
    expect((body['error'] as { type: string }).type).toBe('urn:ietf:params:acme:error:unauthorized');
    expect(header(res, 'Retry-After')).toBeUndefined();
  });

  it('answers processing with Retry-After when the validation outlasts the wait, and the validation goes on', async () => {
    const slow = validator(300, 'valid');
    const ca = await makeCa({ challengeWaitMs: 20, validators: [slow] });
    const { res } = await answerChallenge(ca, 'slow.example');
    expect(jsonBody(res)['status']).toBe('processing');
    expect(header(res, 'Retry-After')).toBeDefined();
    expect(slow.finished).toBe(false);
    await ca.server.drain();
    expect(slow.finished).toBe(true);
  });

  it('refuses a negative wait', async () => {
    await expect(makeCa({ challengeWaitMs: -1 })).rejects.toThrow(/challengeWaitMs/);
  });
});
