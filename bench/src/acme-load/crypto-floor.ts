/**
 * The cryptographic floor of one issuance, measured with small loops in the
 * same run: ES256 JWS verifications (one per request carrying a JWS), the
 * CSR's self-signature check, the certificate's P-256 signature and its
 * verification. No server can spend less CPU than this per issuance.
 */
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { generateAccountKey, signJws } from './jws.js';

/** Rates in operations per second. */
export interface CryptoRates {
  jwsVerify: number;
  p256Sign: number;
  p256Verify: number;
}

function rate(op: () => void, ms: number): number {
  for (let i = 0; i < 50; i++) op();
  let n = 0;
  const start = performance.now();
  const until = start + ms;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) op();
    n += 20;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Measures the three rates, `ms` milliseconds each, on this process's thread. */
export function measureCryptoRates(ms: number): CryptoRates {
  const account = generateAccountKey();
  const jws = JSON.parse(signJws(account, { url: 'https://ca.example/acme/order/1', nonce: 'AAAAAAAAAAAAAAAAAAAAAA', kid: 'https://ca.example/acme/acct/1', payload: { identifiers: [{ type: 'ip', value: '127.1.2.3' }] } })) as { protected: string; payload: string; signature: string };
  const signingInput = Buffer.from(`${jws.protected}.${jws.payload}`);
  const jwsSig = Buffer.from(jws.signature, 'base64url');
  const publicKey = createPublicKey(account.privateKey);
  const issuer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tbs = Buffer.alloc(620, 7);
  const certSig = sign('sha256', tbs, issuer.privateKey);
  return {
    jwsVerify: rate(() => {
      if (!verify('sha256', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jwsSig)) throw new Error('JWS did not verify');
    }, ms),
    p256Sign: rate(() => sign('sha256', tbs, issuer.privateKey), ms),
    p256Verify: rate(() => {
      if (!verify('sha256', tbs, issuer.publicKey, certSig)) throw new Error('signature did not verify');
    }, ms),
  };
}

/** Floor in CPU milliseconds per issuance, with its parts. */
export interface CryptoFloor {
  jwsPerIssuance: number;
  jwsMs: number;
  csrVerifyMs: number;
  certSignMs: number;
  certVerifyMs: number;
  totalMs: number;
}

/** The floor for `jwsPerIssuance` verified requests per issuance. */
export function cryptoFloor(rates: CryptoRates, jwsPerIssuance: number): CryptoFloor {
  const jwsMs = (jwsPerIssuance * 1000) / rates.jwsVerify;
  const csrVerifyMs = 1000 / rates.p256Verify;
  const certSignMs = 1000 / rates.p256Sign;
  const certVerifyMs = 1000 / rates.p256Verify;
  return { jwsPerIssuance, jwsMs, csrVerifyMs, certSignMs, certVerifyMs, totalMs: jwsMs + csrVerifyMs + certSignMs + certVerifyMs };
}
