import type { ResponseParts } from '../engine/responses.js';

/**
 * newNonce (RFC 8555 §7.2): HEAD answers 200 and GET 204, both with
 * `Cache-Control: no-store`; the server adds the `Replay-Nonce` itself.
 */
export async function newNonce(method: 'GET' | 'HEAD'): Promise<ResponseParts> {
  return { status: method === 'HEAD' ? 200 : 204, headers: { 'Cache-Control': 'no-store' }, body: undefined };
}
