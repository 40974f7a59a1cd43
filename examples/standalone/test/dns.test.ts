import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCsr, generateSoftwareSigner, toPem } from '@certwright/core';
import { startChallTestSrv, type ChallTestSrv } from '../../../packages/acme/test/validation/helpers.js';
import { startChallengeResponder, type ChallengeResponder } from './acme-flow.js';
import { freePort, startServe, type ServeProcess } from './processes.js';

/*
 * Validation through CERTWRIGHT_DNS_RESOLVER (pebble-challtestsrv as the
 * DNS server), CERTWRIGHT_ALLOWED_DOMAINS, and the default refusal of
 * private addresses (CERTWRIGHT_ALLOW_PRIVATE_NETWORKS unset).
 */
describe('certwright serve with a configured DNS resolver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-dns-'));
  let dns: ChallTestSrv;
  let responder: ChallengeResponder;
  let server: ServeProcess;
  let client: acme.Client;

  beforeAll(async () => {
    dns = await startChallTestSrv();
    responder = await startChallengeResponder();
    server = await startServe({
      CERTWRIGHT_DATA_DIR: join(dir, 'data'),
      CERTWRIGHT_LISTEN: `127.0.0.1:${await freePort()}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
      CERTWRIGHT_DNS_RESOLVER: dns.dnsServer,
      CERTWRIGHT_ALLOWED_DOMAINS: 'corp.test',
      CERTWRIGHT_HTTP01_PORT: String(responder.port),
    });
    acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(server.rootPath, 'utf8') });
    client = new acme.Client({ directoryUrl: server.directoryUrl, accountKey: await acme.crypto.createPrivateEcdsaKey(), backoffMin: 50, backoffMax: 500, backoffAttempts: 40 });
    await client.createAccount({ termsOfServiceAgreed: true });
  });

  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await responder?.close();
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the configured resolver and the private-network refusal', () => {
    expect(server.stdout()).toContain(`DNS ${dns.dnsServer}, private networks refused`);
  });

  it('issues for a name under an allowed domain with dns-01', async () => {
    const order = await client.createOrder({ identifiers: [{ type: 'dns', value: 'app.corp.test' }] });
    const [authz] = await client.getAuthorizations(order);
    const challenge = authz!.challenges.find((c) => c.type === 'dns-01')!;
    await dns.setTxt('_acme-challenge.app.corp.test', await client.getChallengeKeyAuthorization(challenge));
    await client.completeChallenge(challenge);
    await client.waitForValidStatus(challenge);
    const signer = await generateSoftwareSigner('P-256');
    const csr = toPem(await buildCsr({ signer, identifiers: [{ type: 'dns', value: 'app.corp.test' }] }), 'CERTIFICATE REQUEST');
    const pem = await client.getCertificate(await client.finalizeOrder(order, csr));
    expect(new X509Certificate(pem).subjectAltName).toBe('DNS:app.corp.test');
  });

  it('refuses names outside the allowed domains', async () => {
    await expect(client.createOrder({ identifiers: [{ type: 'dns', value: 'www.example.org' }] })).rejects.toThrow(/www\.example\.org.*not under any of the allowed suffixes/);
  });

  it('does not connect to a private address for http-01 unless allowed', async () => {
    await dns.addA('web.corp.test', ['127.0.0.1']);
    const order = await client.createOrder({ identifiers: [{ type: 'dns', value: 'web.corp.test' }] });
    const [authz] = await client.getAuthorizations(order);
    const challenge = authz!.challenges.find((c) => c.type === 'http-01')!;
    responder.challenges.set(challenge.token, await client.getChallengeKeyAuthorization(challenge));
    await client.completeChallenge(challenge);
    await expect(client.waitForValidStatus(challenge)).rejects.toThrow(/127\.0\.0\.1 is in the private or special-purpose range/);
  });
});
