import type { AcmeServerOptions, AcmeStore, AcmeProfileOffer, AcmeLifetimes } from './options.js';
import type { AcmeUrls } from './urls.js';
import type { NonceService } from './nonce-service.js';
import type { BackgroundTasks } from './background.js';
import type { JwsVerifier } from '../jws/index.js';
import type { Account, Clock, IdentifierPolicy, IssuanceEngine, Logger, Random } from '@certwright/core';
import type { Validator } from './validator.js';
import type { RateLimiter } from '../ratelimit/index.js';

/** Everything a resource handler may use, resolved once by {@link createAcmeServer}. */
export interface EngineContext {
  readonly options: AcmeServerOptions;
  readonly store: AcmeStore;
  readonly urls: AcmeUrls;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: Random;
  /** Verifies request JWSs; the accounts it returns are whole store records. */
  readonly verifier: JwsVerifier<Account>;
  readonly nonces: NonceService;
  readonly background: BackgroundTasks;
  readonly issuance: IssuanceEngine;
  readonly identifierPolicy: IdentifierPolicy;
  readonly validators: readonly Validator[];
  readonly lifetimes: AcmeLifetimes;
  /** Offered profiles by name. */
  readonly profiles: ReadonlyMap<string, AcmeProfileOffer>;
  readonly defaultProfile: string | undefined;
  readonly ordersPageSize: number;
  readonly validationTimeoutMs: number;
  /** See `AcmeRecoveryOptions.validationProcessingTimeoutMs`, resolved. */
  readonly validationProcessingTimeoutMs: number;
  /** See `AcmeServerOptions.finalizeWaitMs`; 0 answers finalize at once. */
  readonly finalizeWaitMs: number;
  /** See `AcmeServerOptions.challengeWaitMs`; 0 answers a challenge POST at once. */
  readonly challengeWaitMs: number;
  readonly retryAfterSeconds: number;
  readonly renewalInfoRetryAfterSeconds: number;
  readonly lookupMacKey: (keyId: string) => Promise<Uint8Array | undefined>;
  readonly rateLimiter: RateLimiter | undefined;
  /** Orders whose issuance runs in this process now; recovery leaves them alone. */
  readonly issuing: Set<string>;
  /** Aborted by `close()`: background work stops waiting (for a store to come back, say) and settles. */
  readonly shutdown: AbortSignal;
}
