/*
 * The ACME client side of the standalone CA's tests: an http-01 challenge
 * responder on a loopback port and one issuance for 127.0.0.1 (an IP
 * identifier, RFC 8738, so no DNS is involved) with acme-client.
 */
import { createServer } from 'node:http';
import type * as acme from 'acme-client';
import { buildCsr, generateSoftwareSigner, toPem } from '@certwright/core';

/** A running challenge responder. */
export interface ChallengeResponder {
  readonly port: number;
  /** Key authorizations by token. */
  readonly challenges: Map<string, string>;
  close(): Promise<void>;
}

/** Serves `/.well-known/acme-challenge/<token>` (RFC 8555 §8.3) on a free loopback port. */
export async function startChallengeResponder(): Promise<ChallengeResponder> {
  const challenges = new Map<string, string>();
  const server = createServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1];
    const answer = token === undefined ? undefined : challenges.get(token);
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(answer ?? 'no such challenge');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    challenges,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Orders, validates (http-01) and downloads a certificate for 127.0.0.1; returns the PEM chain. */
export async function issueForLoopback(client: acme.Client, responder: ChallengeResponder): Promise<string> {
  const order = await client.createOrder({ identifiers: [{ type: 'ip', value: '127.0.0.1' }] });
  for (const authz of await client.getAuthorizations(order)) {
    if (authz.status === 'valid') continue;
    const challenge = authz.challenges.find((ch) => ch.type === 'http-01')!;
    responder.challenges.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
  }
  const signer = await generateSoftwareSigner('P-256');
  const csr = toPem(await buildCsr({ signer, identifiers: [{ type: 'ip', value: '127.0.0.1' }] }), 'CERTIFICATE REQUEST');
  const finalized = await client.finalizeOrder(order, csr);
  return client.getCertificate(finalized);
}
