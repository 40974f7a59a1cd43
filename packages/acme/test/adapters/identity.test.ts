import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine, testHierarchy } from './engine.js';
import { send } from './http-client.js';
import { ADAPTERS } from './servers.js';
import type { RunningAdapter } from './servers.js';

const BODY_LIMIT = 2048;
const HEADERS = ['content-type', 'cache-control', 'link', 'allow', 'retry-after', 'location'] as const;

/** The same request list for every adapter: path, method, headers, body. */
const REQUESTS: [string, string, Record<string, string>, string | undefined][] = [
  ['/directory', 'GET', {}, undefined],
  ['/directory', 'HEAD', {}, undefined],
  ['/new-nonce', 'HEAD', {}, undefined],
  ['/new-nonce', 'GET', {}, undefined],
  ['/new-account', 'POST', { 'content-type': 'application/json' }, '{"a":1}'],
  ['/new-account', 'POST', { 'content-type': 'text/plain' }, 'hello'],
  ['/new-account', 'POST', { 'content-type': 'application/jose+json' }, 'x'.repeat(BODY_LIMIT + 1)],
  ['/new-account', 'POST', { 'content-type': 'application/jose+json' }, '{"protected":"e30","payload":"","signature":""}'],
  ['/new-account', 'POST', { 'content-type': 'application/jose+json' }, '{not json'],
  ['/nope', 'GET', {}, undefined],
  ['/new-order', 'PUT', { 'content-type': 'application/jose+json' }, '{}'],
  ['/new-order', 'GET', {}, undefined],
  ['/renewal-info/bad', 'GET', {}, undefined],
  // Methods the HTTP parser knows but the framework has no route for, and paths that do not percent-decode.
  ['/new-order', 'PROPFIND', {}, undefined],
  ['/directory', 'SEARCH', {}, undefined],
  ['/%zz', 'GET', {}, undefined],
  ['/acct/%', 'POST', { 'content-type': 'application/jose+json' }, '{}'],
];

/** What must not differ between adapters: status, ACME headers (port-neutral), nonce presence, body (port-neutral). */
async function observe(base: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  for (const [path, method, headers, body] of REQUESTS) {
    const res = await send(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const neutral = (text: string | null): string | null => (text === null ? null : text.split(base).join('<base>'));
    seen.push({
      request: `${method} ${path}`,
      status: res.status,
      headers: Object.fromEntries(HEADERS.map((h) => [h, neutral(res.headers.get(h))])),
      nonce: /^[A-Za-z0-9_-]{22,}$/.test(res.headers.get('replay-nonce') ?? ''),
      body: res.text.split(base).join('<base>').replace(/"(?:[A-Za-z0-9_-]{22,})"/g, '"<id>"'),
    });
  }
  return seen;
}

describe('every adapter answers the same requests identically', () => {
  const running: RunningAdapter[] = [];
  beforeAll(async () => {
    await testHierarchy();
    for (const [, start] of ADAPTERS) running.push(await start((baseUrl) => testEngine(baseUrl), { bodyLimit: BODY_LIMIT }));
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.close()));
  });

  it('same statuses, ACME headers, nonce presence and bodies as node:http', async () => {
    const [reference, ...others] = await Promise.all(running.map((r) => observe(r.baseUrl)));
    expect(reference).toHaveLength(REQUESTS.length);
    for (const [index, observed] of others.entries()) {
      expect({ adapter: ADAPTERS[index + 1]![0], observed }).toEqual({ adapter: ADAPTERS[index + 1]![0], observed: reference });
    }
  });
});
