/**
 * `createTestCa`: a complete ACME CA on a loopback port, for the tests of
 * ACME clients and of applications that obtain certificates.
 * @module
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DAY,
  HOUR,
  IssuerSet,
  MemoryStore,
  base64url,
  createIdentifierPolicy,
  createIntermediateCa,
  createIssuanceEngine,
  createRootCa,
  cryptoRandom,
  defaultProfiles,
  randomId,
  silentLogger,
  systemClock,
  toPem,
} from '@certwright/core';
import type { IdentifierPolicy, Issuer, Logger, Profile, Random } from '@certwright/core';
import type { AcmeServer } from '../engine/server.js';
import { createAcmeServer } from '../engine/server.js';
import { issuerChains } from '../engine/issuer-chains.js';
import type { AcmeStore } from '../engine/options.js';
import { autoValidValidator } from '../engine/validator.js';
import type { Validator } from '../engine/validator.js';
import { answerClientError } from '../node/client-error.js';
import { createConnectListener } from '../node/connect.js';
import { createNodeHandler } from '../node/handler.js';
import { withNonceRejection, withRandomAuthorizationReuse } from './strict-store.js';

/** Knobs that make the test CA behave like a demanding production CA. */
export interface StrictOptions {
  /** Share (0..1) of otherwise valid nonces refused with `badNonce` (RFC 8555 §6.5). */
  readonly rejectNonceRate: number;
  /** `'random'`: a valid authorization of the account is reused for a new order only half of the time. */
  readonly reuseAuthorizations?: 'random';
}

/** Options of {@link createTestCa}; every one is optional. */
export interface TestCaOptions {
  /**
   * `'auto-valid'` (default): every challenge validates without any network
   * access. `{ validators }`: real validation with the given validators.
   */
  readonly challenges?: 'auto-valid' | { readonly validators: readonly Validator[] };
  /** Make nonces and authorization reuse less predictable, to harden client retry code. */
  readonly strict?: StrictOptions;
  /** Issuance profiles (default: core's `defaultProfiles()`, `default` and `shortlived`); all are offered in the directory. */
  readonly profiles?: readonly Profile[];
  /** The profile of orders that name none (default: the first profile). */
  readonly defaultProfile?: string;
  /** Require External Account Binding (RFC 8555 §7.3.4); make keys with {@link TestCa.createEabKey}. */
  readonly externalAccountRequired?: boolean;
  /** Which identifiers are certified (default: every DNS name, and IP addresses in loopback and private ranges). */
  readonly identifierPolicy?: IdentifierPolicy;
  /** Randomness for keys, serials, nonces and the strict coin flips (default: the system CSPRNG). */
  readonly random?: Random;
  /** Structured log events of the engine (default: none). */
  readonly logger?: Logger;
}

/** A running test CA. */
export interface TestCa {
  /** The ACME directory URL, e.g. `http://127.0.0.1:40123/acme/directory`: give it to the client. */
  readonly directoryUrl: string;
  /** The engine's base URL. */
  readonly baseUrl: string;
  /** The generated P-256 root, PEM: the trust anchor for verifying issued certificates. */
  readonly rootCertificatePem: string;
  /** The certificates the CA serves after each leaf (the issuing intermediate; the root is not included), PEM. */
  readonly chainPem: string;
  /** The HTTP server (node:http adapter). */
  readonly server: Server;
  /** The in-memory store behind the engine (undecorated): inspect accounts, orders and certificates. */
  readonly store: MemoryStore;
  /** The ACME engine; `engine.drain()` waits for background validation and issuance. */
  readonly engine: AcmeServer;
  /** Creates an External Account Binding key: `keyId` and the HMAC key, base64url-encoded. */
  createEabKey(label?: string): Promise<{ keyId: string; hmacKey: string }>;
  /** Stops accepting requests, waits for background work and closes the server. */
  stop(): Promise<void>;
}

/** IP ranges the default test policy certifies: loopback and private networks (RFC 1918, RFC 4193). */
export const TEST_CA_IP_RANGES: readonly string[] = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '::1/128', 'fc00::/7'];

async function hierarchy(random: Random): Promise<{ root: Issuer; intermediate: Issuer }> {
  const clock = systemClock();
  const root = await createRootCa({ subject: [{ type: 'CN', value: 'certwright Test Root' }], keyType: 'P-256', validitySeconds: 10 * 365 * 86400, clock, random });
  const intermediate = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'certwright Test Issuing CA' }], keyType: 'P-256', validitySeconds: 5 * 365 * 86400, clock, random });
  return { root, intermediate };
}

function engineStore(store: MemoryStore, strict: StrictOptions | undefined, random: Random): AcmeStore {
  if (strict === undefined) return store;
  const rejecting = withNonceRejection<AcmeStore>(store, strict.rejectNonceRate, random);
  return strict.reuseAuthorizations === 'random' ? withRandomAuthorizationReuse(rejecting, random) : rejecting;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts an in-process ACME CA (RFC 8555) on a free loopback port: a fresh
 * P-256 root and intermediate, a {@link MemoryStore}, the system clock and
 * the node:http adapter. Orders need no challenge setup by default
 * (`challenges: 'auto-valid'`). Authorizations are reused across orders of
 * an account (as Let's Encrypt does), or half of the time with
 * `strict.reuseAuthorizations: 'random'`.
 *
 * FOR TESTS ONLY: with auto-valid challenges it certifies any name for
 * anyone. Call `stop()` when done (e.g. in `afterAll`).
 *
 * Throws `RangeError` on invalid options (a rate outside [0, 1], an unknown
 * default profile).
 */
export async function createTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const random = options.random ?? cryptoRandom();
  const clock = systemClock();
  const profiles = options.profiles ?? defaultProfiles();
  const validators = options.challenges === undefined || options.challenges === 'auto-valid' ? [autoValidValidator('http-01'), autoValidValidator('dns-01'), autoValidValidator('tls-alpn-01')] : options.challenges.validators;
  const store = new MemoryStore();
  const wrapped = engineStore(store, options.strict, random);
  const { root, intermediate } = await hierarchy(random);
  const issuers = new IssuerSet([intermediate]);
  const server = createServer();
  const port = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}/acme`;
  let engine: AcmeServer;
  try {
    engine = createAcmeServer({
      baseUrl,
      store: wrapped,
      issuance: createIssuanceEngine({ store, issuers, profiles: [...profiles], clock, random }),
      chains: issuerChains(issuers),
      identifierPolicy: options.identifierPolicy ?? createIdentifierPolicy({ allowedIpRanges: TEST_CA_IP_RANGES }),
      validators,
      clock,
      logger: options.logger ?? silentLogger,
      random,
      profiles: profiles.map((p) => ({ name: p.name, description: p.description ?? p.name, maxValiditySeconds: p.validitySeconds })),
      ...(profiles[0] === undefined ? {} : { defaultProfile: options.defaultProfile ?? profiles[0].name }),
      meta: { externalAccountRequired: options.externalAccountRequired ?? false },
      lifetimes: { order: 7 * DAY, authorization: 30 * DAY, pendingAuthorization: 7 * DAY, nonce: HOUR },
      authorizationReuse: { enabled: true, minRemainingMs: DAY },
      preAuthorization: true,
      retryAfterSeconds: 1,
    });
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }
  server.on('request', createNodeHandler(engine, { baseUrl }));
  server.on('clientError', answerClientError);
  server.on('connect', createConnectListener(engine, { baseUrl }));
  let stopped: Promise<void> | undefined;
  return {
    directoryUrl: `${baseUrl}/directory`,
    baseUrl,
    rootCertificatePem: toPem(root.certificate, 'CERTIFICATE'),
    chainPem: intermediate.chain.slice(0, -1).map((der) => toPem(der, 'CERTIFICATE')).join(''),
    server,
    store,
    engine,
    async createEabKey(label) {
      const keyId = randomId(random);
      const hmacKey = random.bytes(32);
      await store.createEabKey({ keyId, hmacKey, createdAt: clock.now(), ...(label === undefined ? {} : { label }) });
      return { keyId, hmacKey: base64url(hmacKey) };
    },
    stop() {
      stopped ??= (async () => {
        await engine.close();
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((err) => (err === undefined ? resolve() : reject(err))));
      })();
      return stopped;
    },
  };
}
