import type { FakeClock } from '../../src/clock.js';
import type { Identifier } from '../../src/identifier.js';
import { createIntermediateCa, createRootCa } from '../../src/issuance/bootstrap.js';
import { IssuerSet, type Issuer } from '../../src/issuance/issuer.js';
import { defaultProfiles, defineProfile, type Profile } from '../../src/issuance/profile.js';
import { cryptoRandom } from '../../src/random.js';
import type { SoftwareKeyType } from '../../src/signers/software.js';
import { generateSoftwareSigner } from '../../src/signers/software.js';
import { buildCsr } from '../../src/csr/build.js';
import type { CertKeyType } from '../../src/x509/spki.js';

/** A root and an intermediate of `keyType`, at the clock's current time. */
export async function testHierarchy(clock: FakeClock, keyType: CertKeyType = 'P-256'): Promise<{ root: Issuer; intermediate: Issuer; issuers: IssuerSet }> {
  const random = cryptoRandom();
  const root = await createRootCa({ subject: [{ type: 'CN', value: `Test Root ${keyType}` }], keyType, validitySeconds: 10 * 365 * 86400, clock, random });
  const intermediate = await createIntermediateCa({
    root,
    subject: [{ type: 'O', value: 'certwright tests' }, { type: 'CN', value: `Test Issuing CA ${keyType}` }],
    keyType,
    validitySeconds: 3 * 365 * 86400,
    clock,
    random,
  });
  return { root, intermediate, issuers: new IssuerSet([intermediate]) };
}

/** A profile with every extension the engine can add (about ten). */
export function fullProfile(): Profile {
  return defineProfile({
    name: 'full',
    validitySeconds: 90 * 86400,
    backdateSeconds: 3600,
    keyUsage: 'auto',
    extKeyUsages: ['serverAuth', 'clientAuth'],
    commonName: 'firstSan',
    includeSki: true,
    ocspUrl: 'http://ocsp.example.test/{issuerId}',
    caIssuersUrl: 'http://ca.example.test/{issuerId}.der',
    crl: { urlTemplate: 'http://crl.example.test/{issuerId}/{shard}.crl', shardCount: 8 },
    policies: ['2.23.140.1.2.1'],
    mustStaple: false,
    allowedKeyTypes: ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096'],
    maxNames: 100,
  });
}

export const profiles = (): Profile[] => [fullProfile(), ...defaultProfiles()];

/** A CSR for `identifiers` signed by a fresh key of `keyType`. */
export async function csrFor(identifiers: Identifier[], keyType: SoftwareKeyType = 'P-256', commonName?: string): Promise<{ der: Uint8Array; spki: Uint8Array }> {
  const signer = await generateSoftwareSigner(keyType);
  const der = await buildCsr({ signer, identifiers, ...(commonName === undefined ? {} : { commonName }) });
  return { der, spki: signer.publicKeySpki };
}

export const dns = (value: string): Identifier => ({ type: 'dns', value });
