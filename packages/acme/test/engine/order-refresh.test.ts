import { describe, expect, it } from 'vitest';
import { TestClient, dns, jsonBody, makeCa } from './helpers.js';

/** The order id at the end of an order URL. */
const orderId = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

describe('orders refreshed after a validation (RFC 8555 §7.1.6)', () => {
  it('stores the order as ready once its last authorization is valid, before anyone reads it', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const created = await client.newOrder([dns('a.refresh.example'), dns('b.refresh.example')]);
    const url = String(created.headers['Location']);
    const authzUrls = jsonBody(created)['authorizations'] as string[];

    const answer = async (authzUrl: string): Promise<void> => {
      const authz = jsonBody(await client.post(authzUrl, ''));
      const challenge = (authz['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
      await client.post(challenge.url, {});
      await ca.server.drain();
    };

    await answer(authzUrls[0]!);
    expect((await ca.store.getOrder(orderId(url)))?.status).toBe('pending');
    await answer(authzUrls[1]!);
    // Read straight from the store: the engine moved the order when the validation finished, not on this read.
    expect((await ca.store.getOrder(orderId(url)))?.status).toBe('ready');
  });

  it('leaves other orders of the account alone', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const other = await client.newOrder([dns('other.refresh.example')]);
    const { url } = await client.readyOrder(ca, [dns('mine.refresh.example')]);
    expect((await ca.store.getOrder(orderId(url)))?.status).toBe('ready');
    expect((await ca.store.getOrder(orderId(String(other.headers['Location']))))?.status).toBe('pending');
  });
});
