import { describe, expect, it } from 'vitest';
import { CertwrightError } from '@certwright/core';
import type { IssuanceEngine } from '@certwright/core';
import { TestClient, dns, header, jsonBody, makeCa, makeCsr } from './helpers.js';
import type { TestCa } from './helpers.js';

/** Runs account → order → validation, then POSTs the finalize; returns its response. */
async function finalize(ca: TestCa, name: string): Promise<{ client: TestClient; res: Awaited<ReturnType<TestClient['post']>> }> {
  const client = new TestClient(ca.server);
  const { order } = await client.readyOrder(ca, [dns(name)]);
  const { csr } = await makeCsr([dns(name)]);
  const res = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
  return { client, res };
}

/** The real engine of another test CA, with its `issue` replaced. */
async function issuanceWith(issue: IssuanceEngine['issue']): Promise<IssuanceEngine> {
  const real = (await makeCa()).issuance;
  return { prepare: (request) => real.prepare(request), issue };
}

describe('finalize waiting for the certificate (finalizeWaitMs, RFC 8555 §7.4)', () => {
  it('answers at once with the processing order and Retry-After by default', async () => {
    const ca = await makeCa();
    const { res } = await finalize(ca, 'default-wait.example');
    expect(res.status).toBe(200);
    expect(jsonBody(res)['status']).toBe('processing');
    expect(header(res, 'Retry-After')).toBeDefined();
    await ca.server.drain();
  });

  it('answers with the valid order and its certificate URL when issuance ends within the wait', async () => {
    const ca = await makeCa({ finalizeWaitMs: 5000 });
    const { client, res } = await finalize(ca, 'waited.example');
    const body = jsonBody(res);
    expect(body['status']).toBe('valid');
    expect(typeof body['certificate']).toBe('string');
    expect(header(res, 'Retry-After')).toBeUndefined();
    const pem = String((await client.post(String(body['certificate']), '')).body);
    expect(pem).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('answers with the invalid order and its error when issuance fails within the wait', async () => {
    const issuance = await issuanceWith(async () => {
      throw new CertwrightError('serverInternal', 'the signer is unavailable');
    });
    const ca = await makeCa({ finalizeWaitMs: 5000, issuance });
    const { res } = await finalize(ca, 'failed.example');
    const body = jsonBody(res);
    expect(body['status']).toBe('invalid');
    expect((body['error'] as { type: string }).type).toBe('urn:ietf:params:acme:error:serverInternal');
  });

  it('answers processing with Retry-After when issuance outlasts the wait, and issuance goes on', async () => {
    let finished = false;
    const issuance = await issuanceWith(async () => {
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
      throw new CertwrightError('serverInternal', 'slow and failed');
    });
    const ca = await makeCa({ finalizeWaitMs: 20, issuance });
    const { res } = await finalize(ca, 'slow.example');
    expect(jsonBody(res)['status']).toBe('processing');
    expect(header(res, 'Retry-After')).toBeDefined();
    expect(finished).toBe(false);
    await ca.server.drain();
    expect(finished).toBe(true);
  });

  it('refuses a negative wait', async () => {
    await expect(makeCa({ finalizeWaitMs: -1 })).rejects.toThrow(/finalizeWaitMs/);
  });
});
