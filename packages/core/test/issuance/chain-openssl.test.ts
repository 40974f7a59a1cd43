import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { FakeClock } from '../../src/clock.js';
import { seededRandom } from '../../src/random.js';
import { generateSoftwareSigner, type SoftwareSigner } from '../../src/signers/software.js';
import { createIntermediateCa, createRootCa } from '../../src/issuance/bootstrap.js';
import { computeValidity, defaultProfiles, defineProfile, type Profile } from '../../src/issuance/profile.js';
import { keyIdentifier, type CertKeyType } from '../../src/x509/spki.js';
import { dns, ip, issueLeaf, opensslDir, testSerial, type OpensslDir } from './helpers.js';

const clock = new FakeClock('2026-03-01T00:00:00Z');
const DAY = 86400;
/** openssl checks validity at this instant (a day after the fake clock's now), not at the wall time. */
const AT = ['-attime', String(Date.UTC(2026, 2, 2) / 1000)];
const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

let tmp: OpensslDir;
let rsa4096: SoftwareSigner;
const signers = new Map<CertKeyType, SoftwareSigner>();

beforeAll(async () => {
  tmp = opensslDir();
  rsa4096 = await generateSoftwareSigner('RSA-4096');
  for (const t of ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'Ed25519'] as const) signers.set(t, await generateSoftwareSigner(t));
}, 120_000);
afterAll(() => tmp.cleanup());

const profileWithUrls = (): Profile =>
  defineProfile({
    ...defaultProfiles()[0]!,
    ocspUrl: 'http://ocsp.example.test/{issuerId}',
    caIssuersUrl: 'http://ca.example.test/{issuerId}.der',
    crl: { baseUrl: 'http://crl.example.test', shardCount: 16 },
  });

/**
 * For every key type: a root, an intermediate and a leaf. RSA-4096 is
 * generated once and serves as both the root key and the leaf key of its
 * chain (with a fresh RSA-2048 intermediate key) to keep the run short.
 */
describe.each(['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'Ed25519'] as const)('chain with %s keys', (keyType) => {
  it('builds root, intermediate and leaf that openssl verifies strictly', async () => {
    const random = seededRandom(keyType.length * 7 + keyType.charCodeAt(0));
    const rootKey = keyType === 'RSA-4096' ? rsa4096 : await generateSoftwareSigner(keyType);
    const interKey = keyType === 'RSA-4096' ? await generateSoftwareSigner('RSA-2048') : await generateSoftwareSigner(keyType);
    const leafKey = keyType === 'RSA-4096' ? rsa4096 : signers.get(keyType)!;
    const root = await createRootCa({ subject: [{ type: 'C', value: 'DE' }, { type: 'O', value: 'Certwright Test' }, { type: 'CN', value: `Root ${keyType}` }], signer: rootKey, validitySeconds: 3650 * DAY, clock, random });
    const inter = await createIntermediateCa({
      root,
      subject: [{ type: 'O', value: 'Certwright Test' }, { type: 'CN', value: `Intermediate ${keyType}` }],
      signer: interKey,
      validitySeconds: 1825 * DAY,
      clock,
      random,
      ocspUrl: 'http://ocsp.example.test/root',
      caIssuersUrl: 'http://ca.example.test/root.der',
      crlUrl: 'http://crl.example.test/root.crl',
    });
    const profile = profileWithUrls();
    const validity = computeValidity(profile, inter, clock.now());
    const leaf = await issueLeaf(inter, profile, leafKey.publicKeySpki, [dns('www.example.com'), dns('example.com'), ip('192.0.2.7'), ip('2001:db8::1')], validity);

    const rootPem = tmp.writeCert(`root-${keyType}.pem`, root.certificate);
    const interPem = tmp.writeCert(`inter-${keyType}.pem`, inter.certificate);
    const leafPem = tmp.writeCert(`leaf-${keyType}.pem`, leaf.der);
    for (const f of [rootPem, interPem, leafPem]) expect(tmp.run(['x509', '-in', f, '-text', '-noout']).ok).toBe(true);
    const caCheck = tmp.run(['verify', ...AT, '-x509_strict', '-CAfile', rootPem, interPem]);
    expect(caCheck.output).toContain(': OK');
    const leafCheck = tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', interPem, leafPem]);
    expect(leafCheck.output).toContain(': OK');
    expect(leafCheck.ok).toBe(true);

    // Extensions, read back with @peculiar/x509.
    const rootCert = new x509.X509Certificate(root.certificate);
    expect(rootCert.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, critical: true });
    expect(rootCert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(rootCert.getExtension(x509.AuthorityKeyIdentifierExtension)).toBeNull();
    expect(rootCert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toBe(hex(keyIdentifier(rootKey.publicKeySpki)));
    expect(rootCert.serialNumber).toMatch(/^[0-7][0-9a-f]{31}$/);

    const interCert = new x509.X509Certificate(inter.certificate);
    expect(interCert.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: true, pathLength: 0, critical: true });
    expect(interCert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(hex(root.keyId));

    const leafCert = new x509.X509Certificate(leaf.der);
    expect(leafCert.subject).toBe('CN=www.example.com');
    expect(leafCert.issuer).toBe(interCert.subject);
    const bc = leafCert.getExtension(x509.BasicConstraintsExtension)!;
    expect(bc.ca).toBe(false);
    expect(bc.critical).toBe(true);
    const ku = leafCert.getExtension(x509.KeyUsagesExtension)!;
    expect(ku.critical).toBe(true);
    const rsa = keyType.startsWith('RSA');
    expect(ku.usages).toBe(rsa ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature);
    expect(leafCert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leafCert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toBe(hex(keyIdentifier(leafKey.publicKeySpki)));
    expect(leafCert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(hex(inter.keyId));
    const san = leafCert.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.critical).toBe(false);
    expect(san.names.toJSON()).toEqual([
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'example.com' },
      { type: 'ip', value: '192.0.2.7' },
      { type: 'ip', value: '2001:db8::1' },
    ]);
    const text = tmp.run(['x509', '-in', leafPem, '-text', '-noout']).output;
    expect(text).toContain(`OCSP - URI:http://ocsp.example.test/${inter.id}`);
    expect(text).toContain(`CA Issuers - URI:http://ca.example.test/${inter.id}.der`);
    const shard = Number(BigInt(`0x${hex(testSerial(1))}`) % 16n);
    expect(text).toContain(`URI:http://crl.example.test/${inter.id}/${shard}.crl`);
    expect(text).toContain('Policy: 2.23.140.1.2.1');
    expect(text).not.toContain('TLS Feature');
  }, 120_000);
});

describe('leaf variants checked by openssl', () => {
  let rootPem: string;
  let interPem: string;
  let inter: Awaited<ReturnType<typeof createIntermediateCa>>;
  let constrained: Awaited<ReturnType<typeof createIntermediateCa>>;
  let constrainedPem: string;

  beforeAll(async () => {
    const random = seededRandom(99);
    const root = await createRootCa({ subject: [{ type: 'CN', value: 'Variant Root' }], keyType: 'P-256', validitySeconds: 3650 * DAY, clock, random });
    inter = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Variant Intermediate' }], keyType: 'P-256', validitySeconds: 1000 * DAY, clock, random });
    constrained = await createIntermediateCa({
      root,
      subject: [{ type: 'CN', value: 'Constrained Intermediate' }],
      keyType: 'P-384',
      validitySeconds: 1000 * DAY,
      clock,
      random,
      nameConstraints: { permittedDns: ['corp.example'], permittedIp: ['10.0.0.0/8'], excludedDns: ['secret.corp.example'] },
    });
    rootPem = tmp.writeCert('v-root.pem', root.certificate);
    interPem = tmp.writeCert('v-inter.pem', inter.certificate);
    constrainedPem = tmp.writeCert('v-constrained.pem', constrained.certificate);
  }, 60_000);

  it('shortlived profile: empty subject with a critical SAN verifies', async () => {
    const profile = defaultProfiles().find((p) => p.name === 'shortlived')!;
    const leaf = await issueLeaf(inter, profile, signers.get('P-256')!.publicKeySpki, [dns('short.example.com')], computeValidity(profile, inter, clock.now()));
    const leafPem = tmp.writeCert('short.pem', leaf.der);
    expect(tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', interPem, leafPem]).output).toContain(': OK');
    const cert = new x509.X509Certificate(leaf.der);
    expect(cert.subject).toBe('');
    expect(cert.getExtension(x509.SubjectAlternativeNameExtension)!.critical).toBe(true);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)).toBeNull();
    const days = (cert.notAfter.getTime() - cert.notBefore.getTime() + 1000) / 1000;
    expect(days).toBe(160 * 3600);
  });

  it('must-staple shows up as a TLS feature', async () => {
    const profile = defineProfile({ ...defaultProfiles()[0]!, name: 'staple', mustStaple: true });
    const leaf = await issueLeaf(inter, profile, signers.get('P-384')!.publicKeySpki, [dns('staple.example.com')], computeValidity(profile, inter, clock.now()));
    const leafPem = tmp.writeCert('staple.pem', leaf.der);
    expect(tmp.run(['x509', '-in', leafPem, '-text', '-noout']).output).toMatch(/TLS Feature:\s*\n\s*status_request/);
    expect(tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', interPem, leafPem]).output).toContain(': OK');
  });

  it('name constraints show up and are enforced by openssl', async () => {
    const text = tmp.run(['x509', '-in', constrainedPem, '-text', '-noout']).output;
    expect(text).toMatch(/X509v3 Name Constraints: critical/);
    expect(text).toContain('DNS:corp.example');
    expect(text).toContain('IP:10.0.0.0/255.0.0.0');
    expect(text).toContain('DNS:secret.corp.example');
    const profile = defaultProfiles()[0]!;
    const validity = computeValidity(profile, constrained, clock.now());
    const inside = await issueLeaf(constrained, profile, signers.get('RSA-2048')!.publicKeySpki, [dns('app.corp.example'), ip('10.1.2.3')], validity);
    const insidePem = tmp.writeCert('nc-inside.pem', inside.der);
    expect(tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', constrainedPem, insidePem]).output).toContain(': OK');
    const outside = await issueLeaf(constrained, profile, signers.get('RSA-2048')!.publicKeySpki, [dns('app.other.example')], validity, testSerial(2));
    const outsidePem = tmp.writeCert('nc-outside.pem', outside.der);
    const res = tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', constrainedPem, outsidePem]);
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/permitted subtree violation/);
    const excluded = await issueLeaf(constrained, profile, signers.get('RSA-2048')!.publicKeySpki, [dns('x.secret.corp.example')], validity, testSerial(3));
    const excludedPem = tmp.writeCert('nc-excluded.pem', excluded.der);
    expect(tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', constrainedPem, excludedPem]).output).toMatch(/excluded subtree violation/);
  });

  it('an RSASSA-PSS issuer signs a chain openssl verifies', async () => {
    const random = seededRandom(8);
    const pssRoot = await createRootCa({ subject: [{ type: 'CN', value: 'PSS Root' }], signer: await generateSoftwareSigner('RSA-2048', { algorithm: 'rsassa-pss-sha256' }), validitySeconds: 3650 * DAY, clock, random });
    const pssInter = await createIntermediateCa({ root: pssRoot, subject: [{ type: 'CN', value: 'PSS Intermediate' }], signer: await generateSoftwareSigner('RSA-2048', { algorithm: 'rsassa-pss-sha384' }), validitySeconds: 1000 * DAY, clock, random });
    const profile = defaultProfiles()[0]!;
    const leaf = await issueLeaf(pssInter, profile, signers.get('P-256')!.publicKeySpki, [dns('pss.example.com')], computeValidity(profile, pssInter, clock.now()));
    const rootFile = tmp.writeCert('pss-root.pem', pssRoot.certificate);
    const interFile = tmp.writeCert('pss-inter.pem', pssInter.certificate);
    const leafFile = tmp.writeCert('pss-leaf.pem', leaf.der);
    expect(tmp.run(['x509', '-in', leafFile, '-noout', '-text']).output).toMatch(/Signature Algorithm: rsassaPss[\s\S]*Hash Algorithm: sha384/);
    expect(tmp.run(['verify', ...AT, '-x509_strict', '-purpose', 'sslserver', '-CAfile', rootFile, '-untrusted', interFile, leafFile]).output).toContain(': OK');
  });

  it('a leaf valid past 2050 carries GeneralizedTime and verifies', async () => {
    const farClock = new FakeClock('2049-12-01T00:00:00Z');
    const random = seededRandom(5);
    const root = await createRootCa({ subject: [{ type: 'CN', value: 'Far Root' }], keyType: 'P-256', validitySeconds: 3650 * DAY, clock: farClock, random });
    const profile = defaultProfiles()[0]!;
    const validity = computeValidity(profile, root, farClock.now());
    const leaf = await issueLeaf(root, profile, signers.get('P-256')!.publicKeySpki, [dns('far.example.com')], validity);
    const cert = new x509.X509Certificate(leaf.der);
    expect(cert.notBefore.toISOString()).toBe('2049-11-30T23:00:00.000Z');
    expect(cert.notAfter.toISOString()).toBe('2050-02-28T22:59:59.000Z');
    const text = tmp.run(['asn1parse', '-in', tmp.writeCert('far.pem', leaf.der)]).output;
    expect(text).toContain('UTCTIME           :491130230000Z');
    expect(text).toContain('GENERALIZEDTIME   :20500228225959Z');
    const farRoot = tmp.writeCert('far-root.pem', root.certificate);
    expect(tmp.run(['verify', '-x509_strict', '-attime', String(Date.UTC(2050, 0, 15) / 1000), '-purpose', 'sslserver', '-CAfile', farRoot, tmp.dir + '/far.pem']).output).toContain(': OK');
  });
});
