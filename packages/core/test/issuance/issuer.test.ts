import { readFileSync, writeFileSync } from 'node:fs';
import { children, readSingle, valueOf } from '../../src/x509/der-reader.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { seededRandom } from '../../src/random.js';
import { generateSoftwareSigner } from '../../src/signers/software.js';
import { createIntermediateCa, createRootCa, crossSign, importIssuer, withAlternateChain, caSerial } from '../../src/issuance/bootstrap.js';
import { createIssuer, defaultIssuerId, IssuerSet, type Issuer } from '../../src/issuance/issuer.js';
import { toPem, fromPem, pemBlocks } from '../../src/x509/pem.js';
import { splitSigned } from '../../src/x509/certificate.js';
import { decodeTbs } from '../../src/x509/tbs.js';
import { computeValidity, defaultProfiles } from '../../src/issuance/profile.js';
import { dns, issueLeaf, opensslDir, type OpensslDir } from './helpers.js';

const clock = new FakeClock('2026-03-01T00:00:00Z');
const DAY = 86400;
const AT = ['-attime', String(Date.UTC(2026, 2, 2) / 1000)];
let tmp: OpensslDir;
let rootA: Issuer;
let rootB: Issuer;
let inter: Issuer;

beforeAll(async () => {
  tmp = opensslDir();
  const random = seededRandom(21);
  rootA = await createRootCa({ subject: [{ type: 'CN', value: 'Root A' }], keyType: 'P-384', validitySeconds: 3650 * DAY, clock, random });
  rootB = await createRootCa({ subject: [{ type: 'CN', value: 'Root B' }], keyType: 'RSA-2048', validitySeconds: 3650 * DAY, clock, random });
  inter = await createIntermediateCa({
    root: rootA,
    subject: [{ type: 'CN', value: 'Issuing CA' }],
    keyType: 'P-256',
    validitySeconds: 1000 * DAY,
    clock,
    random,
    id: 'issuing-1',
    caIssuersUrl: 'http://a.example.test/root-a.der',
    crlUrl: 'http://a.example.test/root-a.crl',
  });
}, 60_000);
afterAll(() => tmp.cleanup());

describe('createIssuer', () => {
  it('precomputes subject, key id, AKI, validity, algorithm and chain', () => {
    expect(inter.id).toBe('issuing-1');
    expect(rootA.id).toMatch(/^[0-9a-f]{16}$/);
    expect(inter.keyType).toBe('P-256');
    expect(rootA.keyType).toBe('P-384');
    expect(inter.chain).toEqual([inter.certificate, rootA.certificate]);
    expect(rootA.chain).toEqual([rootA.certificate]);
    const tbs = decodeTbs(splitSigned(inter.certificate).tbs);
    expect(inter.subjectDer).toEqual(new Uint8Array(tbs.subject));
    expect(inter.notAfter).toEqual(tbs.notAfter);
    expect(Buffer.from(inter.akiExtension).toString('hex')).toContain(Buffer.from(inter.keyId).toString('hex'));
    expect(inter.signatureAlgorithmDer).toEqual(Uint8Array.from(Buffer.from('300a06082a8648ce3d040302', 'hex')));
  });

  it('defaultIssuerId gives, from the certificate alone, the id createIssuer gives without a configured one', () => {
    // `inter` was given an id of its own; without one it gets the default.
    const unnamed = createIssuer({ certificate: inter.certificate, signer: inter.signer, chain: inter.chain.slice(1) });
    for (const issuer of [rootA, rootB, unnamed]) {
      expect(defaultIssuerId(issuer.certificate)).toBe(issuer.id);
      expect(issuer.id).toBe(Buffer.from(issuer.keyId.subarray(0, 8)).toString('hex'));
    }
  });

  it('OCSP hashes match those openssl puts in a request', () => {
    const interPem = tmp.writeCert('inter.pem', inter.certificate);
    for (const alg of ['sha1', 'sha256'] as const) {
      const reqPath = join(tmp.dir, `req-${alg}.der`);
      const res = tmp.run(['ocsp', '-issuer', interPem, `-${alg}`, '-serial', '0x01', '-no_nonce', '-reqout', reqPath]);
      expect(res.output).not.toMatch(/error/i);
      // OCSPRequest { tbsRequest { requestList { Request { reqCert CertID { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber } } } } }
      const [tbsRequest] = children(readSingle(new Uint8Array(readFileSync(reqPath))));
      const requestList = children(tbsRequest!).at(-1)!;
      const [request] = children(requestList);
      const [certId] = children(request!);
      const [, nameHash, keyHash] = children(certId!);
      expect(Buffer.from(valueOf(nameHash!)).toString('hex')).toBe(Buffer.from(inter.hashes[alg].nameHash).toString('hex'));
      expect(Buffer.from(valueOf(keyHash!)).toString('hex')).toBe(Buffer.from(inter.hashes[alg].keyHash).toString('hex'));
    }
  });

  it('rejects a signer whose key is not the certificate’s, naming the issuer', async () => {
    const other = await generateSoftwareSigner('P-256');
    expect(() => createIssuer({ certificate: inter.certificate, signer: other, chain: [rootA.certificate], id: 'mismatch' })).toThrow(
      expect.objectContaining({ code: 'serverInternal', detail: expect.stringMatching(/^issuer mismatch: signer public key does not match/) }),
    );
  });

  it('rejects non-CA certificates, missing chains and bad ids', async () => {
    const leafKey = await generateSoftwareSigner('P-256');
    const profile = defaultProfiles()[0]!;
    const leaf = await issueLeaf(inter, profile, leafKey.publicKeySpki, [dns('x.example')], computeValidity(profile, inter, clock.now()));
    expect(() => createIssuer({ certificate: leaf.der, signer: leafKey, chain: inter.chain, id: 'leafy' })).toThrow(
      expect.objectContaining({ code: 'serverInternal', detail: expect.stringMatching(/issuer leafy: certificate is not a CA/) }),
    );
    expect(() => createIssuer({ certificate: inter.certificate, signer: inter.signer, id: 'nochain' })).toThrow(
      expect.objectContaining({ detail: expect.stringMatching(/issuer nochain: chain must reach a root/) }),
    );
    expect(() => createIssuer({ certificate: inter.certificate, signer: inter.signer, chain: [rootA.certificate], id: 'a/b' })).toThrow(
      expect.objectContaining({ detail: expect.stringMatching(/id must be/) }),
    );
  });
});

describe('IssuerSet', () => {
  it('returns the active issuer per key type and finds any issuer by id or hashes', () => {
    const retired = createIssuer({ certificate: rootA.certificate, signer: rootA.signer, status: 'retired', id: 'old-root' });
    const set = new IssuerSet([inter, rootB, retired]);
    expect(set.activeFor('P-256')).toBe(inter);
    expect(set.activeFor('RSA-2048')).toBe(rootB);
    expect(set.activeFor('P-384')).toBeUndefined();
    expect(set.activeKeyTypes().sort()).toEqual(['P-256', 'RSA-2048']);
    expect(set.byId('old-root')).toBe(retired);
    expect(set.byId('nope')).toBeUndefined();
    expect(set.all()).toHaveLength(3);
    expect(set.byHashes('sha1', retired.hashes.sha1.nameHash, retired.hashes.sha1.keyHash)).toBe(retired);
    expect(set.byHashes('sha256', inter.hashes.sha256.nameHash, inter.hashes.sha256.keyHash)).toBe(inter);
    expect(set.byHashes('sha256', inter.hashes.sha256.nameHash, rootB.hashes.sha256.keyHash)).toBeUndefined();
  });

  it('rejects duplicate ids and two active issuers of one key type', () => {
    expect(() => new IssuerSet([inter, inter])).toThrow(expect.objectContaining({ code: 'serverInternal', detail: 'issuer issuing-1: duplicate issuer id' }));
    const second = createIssuer({ certificate: inter.certificate, signer: inter.signer, chain: [rootA.certificate], id: 'issuing-2' });
    expect(() => new IssuerSet([inter, second])).toThrow(expect.objectContaining({ detail: expect.stringMatching(/issuer issuing-2: second active issuer for key type P-256 \(already issuing-1\)/) }));
  });
});

describe('bootstrap', () => {
  it('CA serials are 16 bytes, positive and non-zero', () => {
    const zero = { bytes: (n: number) => new Uint8Array(n) };
    const ones = { bytes: (n: number) => new Uint8Array(n).fill(0xff) };
    expect(caSerial(zero)[0]).toBe(1);
    expect(caSerial(ones)[0]).toBe(0x7f);
    expect(caSerial(zero)).toHaveLength(16);
  });

  it('refuses an intermediate that outlives its root', async () => {
    await expect(
      createIntermediateCa({ root: rootA, subject: [{ type: 'CN', value: 'Too Long' }], keyType: 'P-256', validitySeconds: 4000 * DAY, clock, random: seededRandom(1) }),
    ).rejects.toMatchObject({ code: 'serverInternal', detail: expect.stringMatching(/would be after issuer/) });
  });

  it('cross-signs an intermediate so that both chains verify', async () => {
    const alt = await crossSign({ subject: inter, by: rootB, validitySeconds: 900 * DAY, clock, random: seededRandom(2), caIssuersUrl: 'http://b.example.test/root-b.der' });
    expect(alt).toHaveLength(2);
    const both = withAlternateChain(inter, alt);
    expect(both.alternateChains).toEqual([alt]);
    expect(both.id).toBe(inter.id);
    const cross = decodeTbs(splitSigned(alt[0]!).tbs);
    const original = decodeTbs(splitSigned(inter.certificate).tbs);
    expect(cross.subject).toEqual(original.subject);
    expect(cross.spki).toEqual(original.spki);
    // Issuer-specific extensions are replaced: AKI and AIA point to root B, the CRL DP of root A is gone.
    const crossText = tmp.run(['x509', '-in', tmp.writeCert('cross.pem', alt[0]!), '-noout', '-text']).output;
    expect(crossText).toContain('CA Issuers - URI:http://b.example.test/root-b.der');
    expect(crossText).not.toContain('a.example.test');
    expect(cross.extensions.map((e) => e.oid)).not.toContain('2.5.29.31');
    expect(original.extensions.map((e) => e.oid)).toContain('2.5.29.31');
    const profile = defaultProfiles()[0]!;
    const leafKey = await generateSoftwareSigner('P-256');
    const leaf = await issueLeaf(inter, profile, leafKey.publicKeySpki, [dns('cross.example.com')], computeValidity(profile, inter, clock.now()));
    const leafPem = tmp.writeCert('cross-leaf.pem', leaf.der);
    const viaA = ['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', tmp.writeCert('rootA.pem', rootA.certificate), '-untrusted', tmp.writeCert('interA.pem', inter.certificate), leafPem];
    const viaB = ['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', tmp.writeCert('rootB.pem', rootB.certificate), '-untrusted', tmp.writeCert('interB.pem', alt[0]!), leafPem];
    expect(tmp.run(viaA).output).toContain(': OK');
    expect(tmp.run(viaB).output).toContain(': OK');
  });

  it('imports a PEM chain with its key, and rejects a broken chain or a missing key', async () => {
    const interKey = await generateSoftwareSigner('P-256');
    const imported = await createIntermediateCa({ root: rootA, subject: [{ type: 'CN', value: 'Imported CA' }], signer: interKey, validitySeconds: 100 * DAY, clock, random: seededRandom(4) });
    const keyPem = interKey.exportPrivateKeyPem();
    const chainPem = toPem(imported.certificate, 'CERTIFICATE') + toPem(rootA.certificate, 'CERTIFICATE');
    const again = importIssuer({ chainPem, keyPem, id: 'imported' });
    expect(again.chain).toEqual([imported.certificate, rootA.certificate]);
    expect(again.keyId).toEqual(imported.keyId);
    const viaSigner = importIssuer({ chainPem, signer: interKey, status: 'retired' });
    expect(viaSigner.status).toBe('retired');
    const broken = toPem(imported.certificate, 'CERTIFICATE') + toPem(rootB.certificate, 'CERTIFICATE');
    expect(() => importIssuer({ chainPem: broken, keyPem })).toThrow(expect.objectContaining({ code: 'serverInternal', detail: 'import: certificate 0 is not issued by certificate 1 (names differ)' }));
    expect(() => importIssuer({ chainPem })).toThrow(expect.objectContaining({ detail: 'import: pass keyPem or signer' }));
    expect(() => importIssuer({ chainPem: 'nothing here', keyPem })).toThrow(expect.objectContaining({ detail: 'import: no CERTIFICATE block in chainPem' }));
    const wrongKey = (await generateSoftwareSigner('P-256')).exportPrivateKeyPem();
    expect(() => importIssuer({ chainPem, keyPem: wrongKey, id: 'wrong' })).toThrow(expect.objectContaining({ detail: expect.stringMatching(/^issuer wrong: signer public key/) }));
  });
});

describe('PEM', () => {
  it('round-trips any label and splits bundles', () => {
    const der = Uint8Array.from({ length: 200 }, (_, i) => i);
    const pem = toPem(der, 'X509 CRL');
    expect(pem.split('\n')[1]).toHaveLength(64);
    expect(fromPem(pem, 'X509 CRL')).toEqual(der);
    const bundle = `junk\n${toPem(der.subarray(0, 3), 'CERTIFICATE')}between\n${pem}`;
    expect(pemBlocks(bundle).map((b) => b.label)).toEqual(['CERTIFICATE', 'X509 CRL']);
    expect(() => fromPem(pem, 'CERTIFICATE')).toThrow(/no PEM block labelled CERTIFICATE/);
    expect(() => pemBlocks('-----BEGIN A-----\nAAAA\n-----END B-----')).toThrow(/ends with END B/);
    expect(() => pemBlocks('-----BEGIN A-----\nAA*A\n-----END A-----')).toThrow(/invalid base64/);
    writeFileSync(join(tmp.dir, 'root.pem'), toPem(rootA.certificate, 'CERTIFICATE'));
    expect(tmp.run(['x509', '-in', join(tmp.dir, 'root.pem'), '-noout', '-subject']).output).toContain('CN = Root A');
  });
});
