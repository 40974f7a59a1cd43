/**
 * The kind of code an application team writes: obtain (or renew) a
 * certificate for some names from an ACME CA (RFC 8555) with acme-client
 * and write the key and certificate chain to files.
 *
 * Retrying `badNonce` (RFC 8555 §6.5): acme-client 5.4 already retries a
 * signed request refused with `badNonce` up to 5 times, each time with the
 * fresh nonce from the error response (`HttpClient.signedRequest`). When
 * those retries run out it throws a plain `Error` whose message is the
 * problem's detail (the problem type is lost), and this function then
 * starts the whole flow again, up to `attempts` times in all, for errors
 * that `retryable` accepts (by default: the message mentions a nonce).
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as acme from 'acme-client';

/** The arguments acme-client's `auto` passes to its challenge hooks: authorization, challenge, key authorization. */
export type ChallengeHookArgs = Parameters<acme.ClientAutoOptions['challengeCreateFn']>;

/** Publishes and removes the answer of a challenge (http-01 or dns-01), as acme-client's `auto` calls it. */
export interface ChallengeHandlers {
  create(...args: ChallengeHookArgs): Promise<void>;
  remove(...args: ChallengeHookArgs): Promise<void>;
}

/** Options of {@link obtainCertificate}. */
export interface ObtainOptions {
  /** The CA's ACME directory URL. */
  readonly directoryUrl: string;
  /** DNS names to certify; the first one is also the common name. */
  readonly names: readonly string[];
  /** Where `account-key.pem`, `key.pem` and `cert.pem` (leaf then chain) are written. */
  readonly outDir: string;
  /** Contact e-mail of the ACME account (optional). */
  readonly email?: string;
  /** Challenge publication; omit it for a CA that needs none (a test CA with auto-valid challenges). */
  readonly challenge?: ChallengeHandlers;
  /** Verify the challenge from here before asking the CA (acme-client's pre-check); default false. */
  readonly verifyChallenge?: boolean;
  /** Whole-flow attempts, the first included (default 3). */
  readonly attempts?: number;
  /** Which errors start the flow again (default: the message mentions a nonce). */
  readonly retryable?: (err: Error) => boolean;
}

/** What {@link obtainCertificate} wrote. */
export interface ObtainResult {
  readonly certPath: string;
  readonly keyPath: string;
  /** The leaf's serial number, uppercase hex. */
  readonly serialNumber: string;
  readonly validTo: Date;
  /** Whole-flow attempts made (1 when the first one succeeded). */
  readonly attempts: number;
}

const noChallenge: ChallengeHandlers = { create: async () => {}, remove: async () => {} };

/** The default {@link ObtainOptions.retryable}: acme-client gave up on a `badNonce`. */
export function isNonceError(err: Error): boolean {
  return /nonce/i.test(err.message);
}

/** The account key, kept across runs in `account-key.pem` so renewals use the same ACME account. */
async function accountKey(outDir: string): Promise<Buffer> {
  const path = join(outDir, 'account-key.pem');
  if (existsSync(path)) return readFile(path);
  const key = await acme.crypto.createPrivateEcdsaKey();
  await writeFile(path, key, { mode: 0o600 });
  return key;
}

/** Writes through a temporary file and a rename, so readers never see half a file. */
async function writeAtomically(path: string, data: string | Buffer, mode: number): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/** One run of the whole flow: account, order, challenges, finalize, download. */
async function obtainOnce(options: ObtainOptions, key: Buffer): Promise<{ certificate: string; privateKey: Buffer }> {
  const client = new acme.Client({ directoryUrl: options.directoryUrl, accountKey: key });
  const [privateKey, csr] = await acme.crypto.createCsr({ commonName: options.names[0]!, altNames: [...options.names] }, await acme.crypto.createPrivateEcdsaKey());
  const handlers = options.challenge ?? noChallenge;
  const certificate = await client.auto({
    csr,
    termsOfServiceAgreed: true,
    ...(options.email === undefined ? {} : { email: options.email }),
    skipChallengeVerification: options.verifyChallenge !== true,
    challengePriority: ['http-01', 'dns-01'],
    challengeCreateFn: (...args) => handlers.create(...args),
    challengeRemoveFn: (...args) => handlers.remove(...args),
  });
  return { certificate, privateKey };
}

/**
 * Obtains a certificate for `names` and writes `key.pem` (mode 0600) and
 * `cert.pem` to `outDir`; running it again renews (a new key and a new
 * certificate under the same account). Retries the whole flow as the
 * module notes describe; the last error is rethrown with the number of
 * attempts in its message.
 */
export async function obtainCertificate(options: ObtainOptions): Promise<ObtainResult> {
  if (options.names.length === 0) throw new RangeError('obtainCertificate: give at least one name');
  const attempts = options.attempts ?? 3;
  const retryable = options.retryable ?? isNonceError;
  await mkdir(options.outDir, { recursive: true });
  const key = await accountKey(options.outDir);
  for (let attempt = 1; ; attempt++) {
    try {
      const { certificate, privateKey } = await obtainOnce(options, key);
      const keyPath = join(options.outDir, 'key.pem');
      const certPath = join(options.outDir, 'cert.pem');
      await writeAtomically(keyPath, privateKey, 0o600);
      await writeAtomically(certPath, certificate, 0o644);
      const leaf = new X509Certificate(certificate);
      return { certPath, keyPath, serialNumber: leaf.serialNumber, validTo: new Date(leaf.validTo), attempts: attempt };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (attempt >= attempts || !retryable(error)) {
        throw new Error(`obtaining a certificate for ${options.names.join(', ')} failed after ${attempt} attempt(s): ${error.message}`, { cause: err });
      }
    }
  }
}
