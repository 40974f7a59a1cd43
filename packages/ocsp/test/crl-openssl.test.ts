import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTENSION_OIDS, crlShardForSerial, decodeTbs, derReader, distributionPointName, fromPem, splitSigned, type IssuedCertificate } from '@certwright/core';
import {
  CRL_OIDS,
  FileCrlNumberStore,
  MemoryCrlNumberStore,
  createCrlPublisher,
  createOcspResponder,
  type CrlPublisher,
  type OcspResponder,
} from '../src/index.js';
import { CRL_TEMPLATE, SHARDS, opensslDir, serve, testCa, type OpensslDir, type TestCa } from './helpers.js';

/** The extensions of a CRL, by OID: [critical, extnValue]. */
function crlExtensions(crl: Uint8Array): Map<string, { critical: boolean; value: Uint8Array }> {
  const tbs = derReader.children(derReader.readSingle(splitSigned(crl).tbs));
  const wrapper = tbs[tbs.length - 1]!;
  expect(wrapper.tag).toBe(0xa0);
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const ext of derReader.children(derReader.children(wrapper)[0]!)) {
    const f = derReader.children(ext);
    const critical = f.length === 3 && derReader.readBoolean(f[1]!);
    out.set(derReader.readOid(f[0]!), { critical, value: derReader.valueOf(f[f.length - 1]!) });
  }
  return out;
}

describe('CRLs with openssl', () => {
  let ca: TestCa;
  let ssl: OpensslDir;
  let crls: CrlPublisher;
  let leaves: IssuedCertificate[];

  beforeAll(async () => {
    ca = await testCa();
    leaves = [];
    for (let i = 0; i < 12; i++) leaves.push(await ca.issue());
    crls = createCrlPublisher({ store: ca.store, issuers: ca.issuers, clock: ca.clock, crlNumbers: new MemoryCrlNumberStore(), urlTemplate: CRL_TEMPLATE, shardCount: SHARDS });
    ssl = opensslDir();
    ssl.writePem('root.pem', [ca.root.certificate]);
    ssl.writePem('chain.pem', [ca.root.certificate, ca.active.certificate, ca.retired.certificate]);
    ssl.writePem('inter.pem', [ca.active.certificate]);
  });
  afterAll(() => ssl.cleanup());

  it('signs every shard of every issuer so that openssl crl -verify accepts it', async () => {
    await ca.store.revoke(leaves[0]!.serial, 1, ca.clock.now());
    await ca.store.revoke(leaves[1]!.serial, 0, ca.clock.now());
    const all = await crls.generateAll();
    expect(all).toHaveLength(ca.issuers.all().length * SHARDS);
    for (const crl of all) {
      ssl.write(`${crl.issuerId}-${crl.shard}.crl`, crl.der);
      const r = await ssl.run(['crl', '-inform', 'DER', '-in', `${crl.issuerId}-${crl.shard}.crl`, '-CAfile', 'chain.pem', '-verify', '-noout']);
      expect(r.output, `${crl.issuerId}/${crl.shard}`).toContain('verify OK');
    }
  });

  it('lists revoked certificates with their reason, omitting the reason code for unspecified', async () => {
    const [kc, unspecified] = [leaves[0]!, leaves[1]!];
    const shard = crlShardForSerial(kc.serial, SHARDS);
    const crl = await crls.generate(ca.active.id, shard);
    ssl.write('kc.crl', crl.der);
    const text = (await ssl.run(['crl', '-inform', 'DER', '-in', 'kc.crl', '-noout', '-text'])).output;
    expect(text).toContain(`Serial Number: ${kc.serial.toUpperCase()}`);
    expect(text).toContain('Key Compromise');
    const shard2 = crlShardForSerial(unspecified.serial, SHARDS);
    const crl2 = await crls.generate(ca.active.id, shard2);
    ssl.write('unspecified.crl', crl2.der);
    const text2 = (await ssl.run(['crl', '-inform', 'DER', '-in', 'unspecified.crl', '-noout', '-text'])).output;
    const entry = text2.slice(text2.indexOf(`Serial Number: ${unspecified.serial.toUpperCase()}`));
    expect(entry).toContain('Revocation Date');
    expect(entry.split('Serial Number:')[1]).not.toContain('CRL Reason Code');
  });

  it('makes openssl verify -crl_check report a revoked certificate as revoked, and a good one as OK', async () => {
    const revoked = leaves[0]!;
    const crl = await crls.generate(ca.active.id, crlShardForSerial(revoked.serial, SHARDS));
    ssl.write('shard.crl', Buffer.from(crl.der));
    await ssl.run(['crl', '-inform', 'DER', '-in', 'shard.crl', '-out', 'shard.pem']);
    ssl.writePem('revoked-leaf.pem', [revoked.certificateDer]);
    const r = await ssl.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'inter.pem', '-CRLfile', 'shard.pem', 'revoked-leaf.pem']);
    expect(r.ok).toBe(false);
    expect(r.output).toContain('certificate revoked');
    // A certificate of the same shard that is not revoked passes the same check.
    let sameShard = leaves.slice(2).find((l) => crlShardForSerial(l.serial, SHARDS) === crl.shard);
    while (sameShard === undefined) {
      const fresh = await ca.issue();
      if (crlShardForSerial(fresh.serial, SHARDS) === crl.shard) sameShard = fresh;
    }
    ssl.writePem('good-leaf.pem', [sameShard.certificateDer]);
    const ok = await ssl.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'inter.pem', '-CRLfile', 'shard.pem', 'good-leaf.pem']);
    expect(ok.output).toContain('good-leaf.pem: OK');
  });

  it("puts the certificate's CDP DistributionPointName byte for byte into a critical issuingDistributionPoint", async () => {
    for (const leaf of leaves.slice(0, 4)) {
      const shard = crlShardForSerial(leaf.serial, SHARDS);
      const crl = await crls.generate(ca.active.id, shard);
      const cdp = decodeTbs(splitSigned(leaf.certificateDer).tbs).extensions.find((e) => e.oid === EXTENSION_OIDS.cRLDistributionPoints)!;
      const dpName = derReader.encodingOf(derReader.children(derReader.children(derReader.readSingle(cdp.value))[0]!)[0]!);
      const idp = crlExtensions(crl.der).get(CRL_OIDS.issuingDistributionPoint)!;
      expect(idp.critical).toBe(true);
      const idpName = derReader.encodingOf(derReader.children(derReader.readSingle(idp.value))[0]!);
      expect(Buffer.from(idpName).equals(Buffer.from(dpName))).toBe(true);
      expect(Buffer.from(idpName).equals(Buffer.from(distributionPointName(crl.url!)))).toBe(true);
    }
  });

  it('carries the AKI of the issuer and a non-critical CRLNumber that increases across regenerations', async () => {
    const a = await crls.generate(ca.active.id, 0);
    const b = await crls.generate(ca.active.id, 0);
    const c = await crls.generate(ca.active.id, 1);
    expect(b.number).toBe(a.number + 1n);
    const ext = crlExtensions(b.der);
    expect(ext.get(CRL_OIDS.crlNumber)!.critical).toBe(false);
    expect(derReader.readInteger(derReader.readSingle(ext.get(CRL_OIDS.crlNumber)!.value))).toBe(b.number);
    expect(ext.has(EXTENSION_OIDS.authorityKeyIdentifier)).toBe(true);
    expect(c.number).toBeGreaterThanOrEqual(1n);
    ssl.write('b.crl', b.der);
    expect((await ssl.run(['crl', '-inform', 'DER', '-in', 'b.crl', '-noout', '-crlnumber'])).output.trim()).toBe(`crlNumber=0x${b.number.toString(16).toUpperCase().padStart(2, '0')}`);
  });

  it('keeps the CRL number increasing across a restart of the file-backed store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-crlnum-'));
    try {
      const file = join(dir, 'crl-numbers.json');
      const first = createCrlPublisher({ store: ca.store, issuers: ca.issuers, clock: ca.clock, crlNumbers: await FileCrlNumberStore.open(file), urlTemplate: CRL_TEMPLATE, shardCount: SHARDS });
      const n1 = (await first.generate(ca.active.id, 2)).number;
      const n2 = (await first.generate(ca.active.id, 2)).number;
      expect(n2).toBe(n1 + 1n);
      const reopened = createCrlPublisher({ store: ca.store, issuers: ca.issuers, clock: ca.clock, crlNumbers: await FileCrlNumberStore.open(file), urlTemplate: CRL_TEMPLATE, shardCount: SHARDS });
      expect((await reopened.generate(ca.active.id, 2)).number).toBe(n2 + 1n);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, numbers: { [`${ca.active.id}/2`]: String(n2 + 1n) } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes DER and PEM files that openssl reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-crlout-'));
    try {
      const p = createCrlPublisher({ store: ca.store, issuers: ca.issuers, clock: ca.clock, crlNumbers: new MemoryCrlNumberStore(), urlTemplate: CRL_TEMPLATE, shardCount: SHARDS, outputDir: dir });
      const crl = await p.generate(ca.active.id, 3);
      const der = readFileSync(join(dir, ca.active.id, '3.crl'));
      expect(der.equals(Buffer.from(crl.der))).toBe(true);
      const pem = readFileSync(join(dir, ca.active.id, '3.pem'), 'utf8');
      expect(pem.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
      expect(Buffer.from(fromPem(pem, 'X509 CRL')).equals(der)).toBe(true);
      const r = await ssl.run(['crl', '-in', join(dir, ca.active.id, '3.pem'), '-CAfile', 'chain.pem', '-verify', '-noout']);
      expect(r.output).toContain('verify OK');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves CRLs over HTTP at the path of the profile template, regenerated on revocation', async () => {
    const responder: OcspResponder = await createOcspResponder({ store: ca.store, issuers: ca.issuers, clock: ca.clock, crls });
    const server = await serve(responder);
    try {
      const target = leaves[5]!;
      const shard = crlShardForSerial(target.serial, SHARDS);
      const before = await fetch(`${server.url}crl/${ca.active.id}/${shard}.crl`);
      expect(before.status).toBe(200);
      expect(before.headers.get('content-type')).toBe('application/pkix-crl');
      expect(before.headers.get('cache-control')).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
      ssl.write('http-before.crl', new Uint8Array(await before.arrayBuffer()));
      expect((await ssl.run(['crl', '-inform', 'DER', '-in', 'http-before.crl', '-noout', '-text'])).output).not.toContain(target.serial.toUpperCase());
      await responder.revoke(target.serial, 'superseded');
      const after = await fetch(`${server.url}crl/${ca.active.id}/${shard}.crl`);
      ssl.write('http-after.crl', new Uint8Array(await after.arrayBuffer()));
      const text = (await ssl.run(['crl', '-inform', 'DER', '-in', 'http-after.crl', '-noout', '-text'])).output;
      expect(text).toContain(`Serial Number: ${target.serial.toUpperCase()}`);
      expect(text).toContain('Superseded');
      expect((await fetch(`${server.url}crl/${ca.active.id}/${SHARDS}.crl`)).status).toBe(404);
      expect((await fetch(`${server.url}crl/nope/0.crl`)).status).toBe(404);
      expect((await fetch(`${server.url}crl/${ca.active.id}/0.crl`, { method: 'POST', body: 'x' })).status).toBe(405);
    } finally {
      await server.close();
      await responder.close();
    }
  });
});
