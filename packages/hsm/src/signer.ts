/**
 * A {@link Signer} over a private key in a PKCS#11 token, with a pool of
 * logged-in sessions for parallel signing, automatic recovery from lost
 * sessions, logins and devices, a per-signature timeout, a health check and
 * a clean shutdown.
 */
import type { Handle } from 'pkcs11js';
import { silentLogger, type Logger, type SignatureAlgorithm, type Signer } from '@certwright/core';
import { CKS_RO_USER_FUNCTIONS, CKS_RW_USER_FUNCTIONS } from './constants.js';
import { HsmError, describePkcs11Error, returnCodeOf } from './errors.js';
import { defaultAlgorithm, mechanismName, planMechanism, type MechanismPlan } from './mechanism.js';
import { loadPkcs11Module, type Pkcs11Module } from './module.js';
import type { PinSource } from './pin.js';
import { hsmKeyTypeOf, readPublicKey, type HsmKeyType, type TokenPublicKey } from './public-key.js';
import { recoveryScope, type RecoveryScope } from './recovery.js';
import { SessionPool } from './session-pool.js';
import { describeKey, describeToken, findKey, findSlot, login, openSession, type KeySelector, type TokenSelector } from './token.js';

/** Where the PKCS#11 library comes from: a path to load, or a module shared with other signers and token handles. */
export type ModuleSource = { modulePath: string; module?: undefined } | { module: Pkcs11Module; modulePath?: undefined };

/** Options of {@link createPkcs11Signer}. */
export type Pkcs11SignerOptions = ModuleSource & {
  /** The token holding the key. */
  token: TokenSelector;
  /** The user PIN source; resolved at start-up and at each re-login, never logged. */
  pin: PinSource;
  /** The private key (its public key object must share the CKA_ID). */
  key: KeySelector;
  /**
   * The signature algorithm. Default: `ecdsa-with-SHA256` (P-256),
   * `ecdsa-with-SHA384` (P-384), `sha256WithRSAEncryption` (RSA), `Ed25519`.
   * Choose `rsassa-pss-sha256` etc. for RSA-PSS.
   */
  algorithm?: SignatureAlgorithm;
  /** Sessions kept open and logged in; also the number of signatures in flight at once (default 4). */
  poolSize?: number;
  /** Upper bound for one signature, waiting for a session included (default 10 000 ms). */
  signTimeoutMs?: number;
  /** The SubjectPublicKeyInfo the key must have (e.g. from the CA certificate); start-up fails on a mismatch. */
  expectedSpki?: Uint8Array;
  /** Receives `hsm.*` events (never the PIN). */
  logger?: Logger;
};

/** The result of {@link Pkcs11Signer.health}. */
export interface HsmHealth {
  ok: boolean;
  detail: string;
}

/** Internal state, exposed for diagnostics and fault-injection tests. */
export interface Pkcs11SignerDiagnostics {
  /** The slot the token was found in. */
  slot: Handle;
  /** Idle sessions of the pool. */
  idleSessions: readonly Handle[];
  /** Sessions open (idle and busy). */
  openSessions: number;
  /** Signatures waiting for a session. */
  queued: number;
  /** Completed recoveries since start-up. */
  recoveries: number;
}

/** A {@link Signer} backed by a PKCS#11 token. */
export interface Pkcs11Signer extends Signer {
  /** CKA_LABEL of the private key. */
  readonly keyLabel: string;
  /** CKA_ID of the private key, hex. */
  readonly keyId: string;
  /** The key type, or `undefined` for an RSA size outside 2048/3072/4096. */
  readonly keyType: HsmKeyType | undefined;
  /** The module in use. */
  readonly module: Pkcs11Module;
  /**
   * A cheap readiness check (C_GetTokenInfo, C_GetSessionInfo). When it finds
   * the token or login lost, it attempts the same recovery a signature would
   * and reports the outcome.
   */
  health(): Promise<HsmHealth>;
  /**
   * Stops accepting signatures, waits for those in flight, logs out and
   * closes the sessions, and finalises the module when this signer loaded
   * it. A native call of a timed-out signature gets one more
   * `signTimeoutMs`; if it is still running then, its session is closed and
   * the module finalised only when it returns (C_Finalize during a call is
   * undefined). A shared `module` is left initialised and logged in.
   * Idempotent.
   */
  close(): Promise<void>;
  /** Internal state, for diagnostics. */
  diagnostics(): Pkcs11SignerDiagnostics;
}

const DEFAULT_POOL_SIZE = 4;
const DEFAULT_SIGN_TIMEOUT_MS = 10_000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function validate(options: Pkcs11SignerOptions): { poolSize: number; signTimeoutMs: number } {
  if ((options.module === undefined) === (options.modulePath === undefined)) {
    throw new HsmError('invalidConfiguration', 'PKCS#11 signer needs exactly one of modulePath and module');
  }
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const signTimeoutMs = options.signTimeoutMs ?? DEFAULT_SIGN_TIMEOUT_MS;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new HsmError('invalidConfiguration', `PKCS#11 poolSize must be a positive integer, got ${poolSize}`);
  if (!Number.isFinite(signTimeoutMs) || signTimeoutMs <= 0) throw new HsmError('invalidConfiguration', `PKCS#11 signTimeoutMs must be positive, got ${signTimeoutMs}`);
  return { poolSize, signTimeoutMs };
}

function loggedIn(module: Pkcs11Module, session: Handle): boolean {
  const state = module.pkcs11.C_GetSessionInfo(session).state;
  return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
}

/**
 * Logs in through `session` unless the user already is logged in. Logins
 * running at the same time (several sessions re-opened after a reset)
 * share one C_Login and one PIN resolution.
 */
function loginGate(module: Pkcs11Module, options: Pkcs11SignerOptions): (session: Handle) => Promise<void> {
  let pending: Promise<void> | undefined;
  return async (session) => {
    if (pending !== undefined) await pending;
    if (loggedIn(module, session)) return;
    pending ??= login(module.pkcs11, session, options.pin, options.token).finally(() => {
      pending = undefined;
    });
    await pending;
  };
}

/**
 * Opens a PKCS#11 signer: loads the module (or uses the shared one), finds
 * the token, opens and logs in `poolSize` sessions, finds the key, reads its
 * public key and checks that the token offers the algorithm's mechanism.
 *
 * Throws {@link HsmError}: `moduleLoadFailed`, `tokenNotFound`,
 * `pinIncorrect`, `pinLocked`, `keyNotFound`, `keyAmbiguous`,
 * `mechanismUnsupported`, `publicKeyMismatch`, `invalidConfiguration`.
 */
export async function createPkcs11Signer(options: Pkcs11SignerOptions): Promise<Pkcs11Signer> {
  const limits = validate(options);
  const module = options.module ?? loadPkcs11Module(options.modulePath as string);
  try {
    return await HsmSigner.open(module, options.module === undefined, options, limits);
  } catch (err) {
    if (options.module === undefined) module.finalize();
    throw err;
  }
}

class HsmSigner implements Pkcs11Signer {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKeySpki: Uint8Array;
  readonly keyLabel: string;
  readonly keyId: string;
  readonly keyType: HsmKeyType | undefined;

  private privateKey: Handle;
  private generation = 0;
  private recoveries = 0;
  private recovering: Promise<void> | undefined;
  private inFlight = 0;
  /** Native calls (C_SignInit + C_SignAsync) not yet returned, including those of timed-out signatures. */
  private nativeInFlight = 0;
  private finalizeDeferred = false;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private readonly description: string;

  private constructor(
    readonly module: Pkcs11Module,
    private readonly ownsModule: boolean,
    private readonly slotRef: { slot: Handle },
    private readonly pool: SessionPool,
    private readonly ensureLogin: (session: Handle) => Promise<void>,
    private readonly plan: MechanismPlan,
    publicKey: TokenPublicKey,
    keys: { privateKey: Handle; id: string; label: string },
    private readonly options: Pkcs11SignerOptions,
    private readonly signTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.algorithm = plan.algorithm;
    this.publicKeySpki = publicKey.spki;
    this.keyType = hsmKeyTypeOf(publicKey);
    this.privateKey = keys.privateKey;
    this.keyLabel = keys.label;
    this.keyId = keys.id;
    this.description = `key ${describeKey(options.key)} on token ${describeToken(options.token)}`;
  }

  static async open(
    module: Pkcs11Module,
    ownsModule: boolean,
    options: Pkcs11SignerOptions,
    limits: { poolSize: number; signTimeoutMs: number },
  ): Promise<HsmSigner> {
    const pkcs11 = module.pkcs11;
    const logger = options.logger ?? silentLogger;
    const slotRef: { slot: Handle } = { slot: findSlot(pkcs11, options.token) };
    const ensureLogin = loginGate(module, options);
    const pool = new SessionPool({
      size: limits.poolSize,
      open: () => HsmSigner.openLoggedIn(module, slotRef.slot, ensureLogin),
      close: (session) => pkcs11.C_CloseSession(session),
    });
    try {
      await pool.fill();
      const session = await pool.acquire();
      let keys;
      let publicKey;
      try {
        keys = findKey(pkcs11, session, options.key, options.token);
        publicKey = readPublicKey(pkcs11, session, keys.publicKey);
      } finally {
        pool.release(session);
      }
      const plan = planMechanism(publicKey, options.algorithm ?? defaultAlgorithm(publicKey));
      if (!pkcs11.C_GetMechanismList(slotRef.slot).includes(plan.mechanismType)) {
        throw new HsmError('mechanismUnsupported', `PKCS#11 token ${describeToken(options.token)} does not offer ${mechanismName(plan.mechanismType)} needed for ${plan.algorithm}`);
      }
      if (options.expectedSpki !== undefined && !sameBytes(options.expectedSpki, publicKey.spki)) {
        throw new HsmError('publicKeyMismatch', `the public key of PKCS#11 key "${keys.label}" (${describeKey(options.key)}) differs from the expected SubjectPublicKeyInfo`);
      }
      const signer = new HsmSigner(module, ownsModule, slotRef, pool, ensureLogin, plan, publicKey, keys, options, limits.signTimeoutMs, logger);
      logger({ level: 'info', event: 'hsm.signer.opened', token: describeToken(options.token), key: keys.label, keyId: keys.id, algorithm: plan.algorithm, poolSize: limits.poolSize });
      return signer;
    } catch (err) {
      pool.close();
      throw err;
    }
  }

  /** Opens a session and logs in unless the application already is (login is per application and token). */
  private static async openLoggedIn(module: Pkcs11Module, slot: Handle, ensureLogin: (session: Handle) => Promise<void>): Promise<Handle> {
    const pkcs11 = module.pkcs11;
    const session = openSession(pkcs11, slot);
    try {
      await ensureLogin(session);
      return session;
    } catch (err) {
      try {
        pkcs11.C_CloseSession(session);
      } catch {
        // already unusable
      }
      throw err;
    }
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    if (this.closing !== undefined) throw new HsmError('closed', `PKCS#11 signer for ${this.description} is closed`);
    const controller = new AbortController();
    const timer = setTimeout(() => {
      controller.abort(new HsmError('signTimeout', `PKCS#11 signature with ${this.description} not produced within ${this.signTimeoutMs} ms`));
    }, this.signTimeoutMs);
    this.inFlight++;
    try {
      return await Promise.race([
        this.signWithRecovery(data, controller.signal),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
    } catch (err) {
      const code = returnCodeOf(err);
      this.logger({ level: 'error', event: 'hsm.sign.failed', key: this.keyLabel, reason: err instanceof HsmError ? err.reason : 'unknown', ...(code === undefined ? {} : { returnCode: code }) });
      throw err;
    } finally {
      clearTimeout(timer);
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  private async signWithRecovery(data: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    const generation = this.generation;
    try {
      return await this.attempt(data, signal);
    } catch (err) {
      const scope = recoveryScope(err);
      if (scope === undefined || signal.aborted) throw this.failure(err, false);
      await this.recover(scope, generation, returnCodeOf(err) as string);
      if (signal.aborted) throw signal.reason;
      try {
        return await this.attempt(data, signal, true);
      } catch (retryErr) {
        throw this.failure(retryErr, true);
      }
    }
  }

  private failure(err: unknown, afterRecovery: boolean): unknown {
    if (err instanceof HsmError) return err;
    const code = returnCodeOf(err);
    return new HsmError(
      'pkcs11Failed',
      `PKCS#11 signature with ${this.description} failed with ${describePkcs11Error(err)}${afterRecovery ? ' after recovery' : ''}`,
      { ...(code === undefined ? {} : { returnCode: code }), cause: err },
    );
  }

  /**
   * One C_SignInit + C_Sign on a pooled session; the session goes back (or
   * is discarded) before this settles. A retry (`validate`) first checks the
   * session with C_GetSessionInfo, so a stale session that was busy during
   * the recovery cannot fail it a second time.
   */
  private async attempt(data: Uint8Array, signal: AbortSignal, validate = false): Promise<Uint8Array> {
    const pkcs11 = this.module.pkcs11;
    let session = await this.pool.acquire(signal);
    while (validate && !this.sessionValid(session)) {
      this.pool.discard(session, true);
      session = await this.pool.acquire(signal);
    }
    let raw: Buffer;
    this.nativeInFlight++;
    try {
      try {
        pkcs11.C_SignInit(session, this.plan.mechanism, this.privateKey);
        raw = await pkcs11.C_SignAsync(session, this.plan.input(data), Buffer.alloc(this.plan.signatureLength));
      } catch (err) {
        const scope = recoveryScope(err);
        if (scope === 'session' || scope === 'device') this.pool.discard(session, !this.sessionValid(session));
        else this.pool.release(session);
        throw err;
      }
      this.pool.release(session);
    } finally {
      this.nativeInFlight--;
      if (this.nativeInFlight === 0 && this.finalizeDeferred) this.finalizeNow();
    }
    return this.plan.output(raw);
  }

  private sessionValid(session: Handle): boolean {
    try {
      this.module.pkcs11.C_GetSessionInfo(session);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Brings the pool back after a failure of `scope` seen by an attempt that
   * started in `generation`. Concurrent failures share one recovery; a
   * failure that started before the last completed recovery just retries.
   */
  private async recover(scope: RecoveryScope, generation: number, returnCode: string): Promise<void> {
    if (this.recovering === undefined && generation !== this.generation) return;
    this.recovering ??= this.runRecovery(scope, returnCode).finally(() => {
      this.recovering = undefined;
    });
    await this.recovering;
  }

  private async runRecovery(scope: RecoveryScope, returnCode: string): Promise<void> {
    const pkcs11 = this.module.pkcs11;
    this.logger({ level: 'warn', event: 'hsm.recovery.started', key: this.keyLabel, scope, returnCode });
    if (scope === 'device') {
      if (returnCode === 'CKR_CRYPTOKI_NOT_INITIALIZED') this.module.reinitialize();
      this.slotRef.slot = findSlot(pkcs11, this.options.token);
    }
    if (scope === 'device') this.pool.discardIdle((session) => this.sessionValid(session));
    else this.pool.prune((session) => this.sessionValid(session));
    const session = await this.pool.acquire();
    try {
      await this.ensureLogin(session);
      const keys = findKey(pkcs11, session, this.options.key, this.options.token);
      const publicKey = readPublicKey(pkcs11, session, keys.publicKey);
      if (!sameBytes(publicKey.spki, this.publicKeySpki)) {
        throw new HsmError('publicKeyMismatch', `after recovery, PKCS#11 key "${keys.label}" (${describeKey(this.options.key)}) has a different public key than at start-up`);
      }
      this.privateKey = keys.privateKey;
    } catch (err) {
      this.pool.discard(session, !this.sessionValid(session));
      throw err;
    }
    this.pool.release(session);
    this.generation++;
    this.recoveries++;
    this.logger({ level: 'info', event: 'hsm.recovery.succeeded', key: this.keyLabel, scope, returnCode });
  }

  async health(): Promise<HsmHealth> {
    if (this.closing !== undefined) return { ok: false, detail: 'signer is closed' };
    const problem = this.probe();
    if (problem === undefined) return { ok: true, detail: this.healthyDetail() };
    try {
      await this.recover(problem.scope, this.generation, problem.returnCode);
    } catch (err) {
      return { ok: false, detail: `${problem.detail}; recovery failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const after = this.probe();
    return after === undefined ? { ok: true, detail: `${this.healthyDetail()} (recovered from ${problem.detail})` } : { ok: false, detail: after.detail };
  }

  private healthyDetail(): string {
    return `token ${describeToken(this.options.token)} present, ${this.pool.size} sessions open, ${this.pool.queued} signatures waiting`;
  }

  private probe(): { scope: RecoveryScope; returnCode: string; detail: string } | undefined {
    const pkcs11 = this.module.pkcs11;
    try {
      pkcs11.C_GetTokenInfo(this.slotRef.slot);
    } catch (err) {
      const code = returnCodeOf(err) ?? 'CKR_DEVICE_ERROR';
      return { scope: 'device', returnCode: code, detail: `C_GetTokenInfo failed with ${describePkcs11Error(err)}` };
    }
    const session = this.pool.idleSessions()[0];
    if (session === undefined) return this.pool.size === 0 ? { scope: 'session', returnCode: 'CKR_SESSION_CLOSED', detail: 'no open session' } : undefined;
    try {
      if (!loggedIn(this.module, session)) {
        return { scope: 'login', returnCode: 'CKR_USER_NOT_LOGGED_IN', detail: 'session not logged in' };
      }
    } catch (err) {
      const code = returnCodeOf(err) ?? 'CKR_SESSION_HANDLE_INVALID';
      return { scope: recoveryScope(err) ?? 'session', returnCode: code, detail: `C_GetSessionInfo failed with ${describePkcs11Error(err)}` };
    }
    return undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    // Native calls abandoned by a timeout get one more timeout to finish.
    for (let waited = 0; this.nativeInFlight > 0 && waited < this.signTimeoutMs; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const pkcs11 = this.module.pkcs11;
    const session = this.pool.idleSessions()[0];
    if (this.ownsModule && session !== undefined) {
      try {
        pkcs11.C_Logout(session);
      } catch {
        // Not logged in any more: nothing to undo.
      }
    }
    this.pool.close();
    if (this.ownsModule) {
      // C_Finalize while another thread is inside the library is undefined
      // (PKCS#11 v2.40 §5.4); SoftHSM2 frees the key a running C_Sign uses
      // and the process dies. A native call that outlived the grace period
      // therefore postpones the finalisation until it returns.
      if (this.nativeInFlight === 0) this.module.finalize();
      else {
        this.finalizeDeferred = true;
        this.logger({ level: 'warn', event: 'hsm.signer.finalizeDeferred', key: this.keyLabel, nativeCalls: this.nativeInFlight });
      }
    }
    this.logger({ level: 'info', event: 'hsm.signer.closed', key: this.keyLabel });
  }

  /** Finalises the module once the last abandoned native call has returned (see {@link HsmSigner.shutdown}). */
  private finalizeNow(): void {
    this.finalizeDeferred = false;
    try {
      this.module.finalize();
      this.logger({ level: 'info', event: 'hsm.signer.finalized', key: this.keyLabel });
    } catch (err) {
      this.logger({ level: 'warn', event: 'hsm.signer.finalizeFailed', key: this.keyLabel, ...(returnCodeOf(err) === undefined ? {} : { returnCode: returnCodeOf(err) as string }) });
    }
  }

  diagnostics(): Pkcs11SignerDiagnostics {
    return { slot: this.slotRef.slot, idleSessions: this.pool.idleSessions(), openSessions: this.pool.size, queued: this.pool.queued, recoveries: this.recoveries };
  }
}
