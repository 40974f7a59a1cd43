import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CtLogError,
  createCtLogClient,
  encodeSctList,
  parseCtLogKey,
  precertEntry,
  treeHash,
  verifyAuditPath,
  verifySct,
  verifySignedTreeHead,
} from '../src/index.js';
import { startTestLog } from '../src/testing/index.js';
import type { TestLog } from '../src/testing/index.js';
import { capturingCollector, engineWith, hex, issueFor } from './helpers.js';

async function precertificate(): Promise<{ pre: Uint8Array; final: Uint8Array; chain: readonly Uint8Array[]; issuerSpki: Uint8Array; root: Uint8Array }> {
  const collector = capturingCollector(() => encodeSctList([Uint8Array.of(1)]));
  const { engine, h } = await engineWith(collector);
  const issued = await issueFor(engine, ['client.example']);
  return { pre: collector.precertificates[0]!, final: issued.certificateDer, chain: h.intermediate.chain, issuerSpki: h.intermediate.spki, root: h.root.certificate };
}

describe('RFC 6962 client against the test log', () => {
  let log: TestLog;
  let material: Awaited<ReturnType<typeof precertificate>>;
  beforeAll(async () => {
    material = await precertificate();
    log = await startTestLog({ operator: 'Client Op', roots: [material.root] });
  });
  afterAll(() => log.close());

  it('add-pre-chain returns an SCT that verifies over the precertificate entry', async () => {
    const client = createCtLogClient({ url: log.url });
    const { sct } = await client.addPreChain([material.pre, ...material.chain]);
    expect(hex(sct.logId)).toBe(hex(log.logId));
    expect(verifySct(sct, parseCtLogKey(log.publicKeyPem), precertEntry(material.pre, material.issuerSpki))).toEqual({ ok: true });
  });

  it('get-sth, get-proof-by-hash and get-roots agree with the entries', async () => {
    const client = createCtLogClient({ url: `${log.url}/` });
    await client.addChain([material.final, ...material.chain]);
    await client.addPreChain([material.pre, ...material.chain]);
    const sth = await client.getSth();
    expect(sth.treeSize).toBe(log.entries.length);
    expect(verifySignedTreeHead(sth, parseCtLogKey(log.publicKeyPem))).toEqual({ ok: true });
    expect(verifySignedTreeHead({ ...sth, treeSize: sth.treeSize + 1 }, parseCtLogKey(log.publicKeyPem)).ok).toBe(false);
    expect(hex(sth.rootHash)).toBe(hex(treeHash(log.entries.map((e) => e.leafHash))));
    for (const [i, entry] of log.entries.entries()) {
      const proof = await client.getProofByHash(entry.leafHash, sth.treeSize);
      expect(proof.leafIndex).toBe(i);
      expect(verifyAuditPath({ leafHash: entry.leafHash, leafIndex: proof.leafIndex, treeSize: sth.treeSize, path: proof.auditPath, root: sth.rootHash })).toBe(true);
    }
    expect((await client.getRoots()).map(hex)).toEqual([hex(material.root)]);
  });

  it('the log refuses a precertificate on add-chain, a certificate on add-pre-chain, and a chain outside its roots (HTTP 400, not retryable)', async () => {
    const client = createCtLogClient({ url: log.url });
    const refused = async (p: Promise<unknown>): Promise<CtLogError> => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CtLogError);
      expect((err as CtLogError).status).toBe(400);
      expect((err as CtLogError).retryable).toBe(false);
      return err as CtLogError;
    };
    await refused(client.addChain([material.pre, ...material.chain]));
    await refused(client.addPreChain([material.final, ...material.chain]));
    // Out of order: the intermediate is not issued by the precertificate.
    await refused(client.addPreChain([material.chain[0]!, material.pre]));
    // Without its issuers the chain does not reach the log's root.
    await refused(client.addPreChain([material.pre]));
    const before = log.entries.length;
    await refused(client.addChain([Uint8Array.of(0x30, 0x00)]));
    expect(log.entries.length).toBe(before);
  });
});

describe('strict response checks', () => {
  let server: Server;
  let url: string;
  let reply: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  beforeAll(async () => {
    server = createServer((req, res) => reply(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const json = (body: unknown, status = 200) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const b64 = (bytes: number[] | Uint8Array): string => Buffer.from(bytes).toString('base64');
  const goodSig = b64([4, 3, 0, 2, 0x30, 0x00]);
  const good = { sct_version: 0, id: b64(new Uint8Array(32)), timestamp: 1, extensions: '', signature: goodSig };

  const failure = async (body: unknown, status = 200): Promise<CtLogError> => {
    reply = json(body, status);
    const err = await createCtLogClient({ url }).addChain([Uint8Array.of(1)]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CtLogError);
    return err as CtLogError;
  };

  it('accepts a well-formed add-chain answer', async () => {
    reply = json(good);
    const { sct } = await createCtLogClient({ url }).addChain([Uint8Array.of(1)]);
    expect(sct.timestamp).toBe(1);
    expect(sct.signature).toEqual({ hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(0x30, 0x00) });
  });

  it.each([
    ['sct_version 1', { ...good, sct_version: 1 }, 'sct_version must be 0, got 1'],
    ['a 31-octet log id', { ...good, id: b64(new Uint8Array(31)) }, 'id must be 32 octets, got 31'],
    ['unpadded base64', { ...good, id: b64(new Uint8Array(32)).replace(/=+$/, '') }, 'id is not canonical base64'],
    ['base64 with whitespace', { ...good, signature: ` ${goodSig}` }, 'signature is not canonical base64'],
    ['non-zero padding bits', { ...good, id: b64(new Uint8Array(32)).slice(0, -2) + 'B=' }, 'id is not canonical base64'],
    ['a fractional timestamp', { ...good, timestamp: 1.5 }, 'timestamp must be a non-negative integer'],
    ['a string timestamp', { ...good, timestamp: '1' }, 'timestamp must be a non-negative integer'],
    ['a missing signature', { ...good, signature: undefined }, 'signature must be a base64 string'],
    ['trailing bytes after the signature', { ...good, signature: b64([4, 3, 0, 2, 0x30, 0x00, 9]) }, 'signature: digitally-signed: 1 trailing octet'],
    ['an array body', [good], 'body is not a JSON object'],
    ['a non-JSON body', '{"sct_version":', 'body is not JSON'],
  ])('rejects %s', async (_name, body, message) => {
    const err = await failure(body);
    expect(err.kind).toBe('malformed');
    expect(err.message).toBe(`add-chain: malformed response: ${message}`);
  });

  it('rejects a body over the size limit', async () => {
    reply = json({ ...good, padding: 'x'.repeat(5000) });
    const err = await createCtLogClient({ url, maxResponseBytes: 1000 }).addChain([Uint8Array.of(1)]).catch((e: unknown) => e);
    expect((err as CtLogError).message).toMatch(/exceeds the 1000-octet limit/);
  });

  it('rejects a get-sth root hash of the wrong length', async () => {
    reply = json({ tree_size: 1, timestamp: 1, sha256_root_hash: b64(new Uint8Array(31)), tree_head_signature: goodSig });
    await expect(createCtLogClient({ url }).getSth()).rejects.toThrow('get-sth: malformed response: sha256_root_hash must be 32 octets, got 31');
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [400, false],
    [404, false],
  ])('classifies HTTP %i (retryable: %s)', async (status, retryable) => {
    const err = await failure({ error_message: 'x' }, status);
    expect(err.kind).toBe('http');
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toBe(`add-chain: HTTP ${status}`);
  });

  it('refuses to follow a redirect', async () => {
    reply = (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/' });
      res.end();
    };
    const err = await createCtLogClient({ url }).addChain([Uint8Array.of(1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtLogError);
    expect((err as CtLogError).kind).toBe('network');
  });

  it('times out (retryable) and aborts (not retryable)', async () => {
    reply = (_req, res) => {
      setTimeout(() => json(good)(_req, res), 400);
    };
    const client = createCtLogClient({ url });
    const timedOut = (await client.addChain([Uint8Array.of(1)], { timeoutMs: 50 }).catch((e: unknown) => e)) as CtLogError;
    expect([timedOut.kind, timedOut.retryable, timedOut.message]).toEqual(['timeout', true, 'add-chain: no answer within 50 ms']);
    const controller = new AbortController();
    const pending = client.addChain([Uint8Array.of(1)], { signal: controller.signal, timeoutMs: 5000 }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    const aborted = (await pending) as CtLogError;
    expect([aborted.kind, aborted.retryable]).toEqual(['aborted', false]);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await startTestLog();
    await closed.close();
    const err = (await createCtLogClient({ url: closed.url }).getSth().catch((e: unknown) => e)) as CtLogError;
    expect([err.kind, err.retryable]).toEqual(['network', true]);
  });
});
