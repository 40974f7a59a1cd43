import type { Clock } from '../clock.js';
import { checkCsrMatchesOrder } from '../csr/identifiers.js';
import { parseCsrDer } from '../csr/parse.js';
import { CertwrightError, isCertwrightError } from '../errors.js';
import { checkPublicKey, DEFAULT_KEY_POLICY, type KeyPolicy } from '../keys/key-policy.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Random } from '../random.js';
import type { Signer } from '../signer.js';
import { createVerifier, type SignatureVerifier } from '../signers/verify.js';
import type { VerificationWorker } from '../signers/verification-worker.js';
import { SoftwareSigner } from '../signers/software.js';
import type { CertificateStore, SerialReservation } from '../store/types.js';
import { assembleSigned } from '../x509/certificate.js';
import { compareCtPair } from '../x509/ct.js';
import { CERT_KEY_TYPES, parseSpki, type CertKeyType } from '../x509/spki.js';
import type { IssuanceEngine, IssuanceRequest, IssuedCertificate, PreparedIssuance } from './engine-types.js';
import type { Issuer, IssuerSet } from './issuer.js';
import { createLeafTbsBuilder, type BuiltLeafTbs, type LeafTbsBuilder, type LeafTbsInput } from './leaf-tbs.js';
import { builtinLinters, runLints, type Linter } from './lint.js';
import { computeValidity, type Profile } from './profile.js';
import { createSerialGenerator, type Serial, type SerialOptions } from './serial.js';

/**
 * The steps of the write-ahead pipeline, in order. `reserved`: the serial is
 * taken in the store; `planned`: the linted TBS is stored, nothing signed yet;
 * `signed`: a signature exists in memory only; `precertificate`: the
 * precertificate is stored (with CT); `issued`: the final certificate is stored.
 */
export type PipelineStep = 'reserved' | 'planned' | 'signed' | 'precertificate' | 'issued';

/**
 * Collects Signed Certificate Timestamps for a precertificate (RFC 6962 §3).
 * Provided by `@certwright/ct`; when absent, no precertificate is made.
 */
export interface SctCollector {
  /** Returns the TLS-encoded SignedCertificateTimestampList (RFC 6962 §3.3) for the precertificate. */
  collect(precertificateDer: Uint8Array, issuer: Issuer): Promise<Uint8Array>;
}

/** Options for {@link createIssuanceEngine}. Everything is passed in; nothing is global. */
export interface IssuanceEngineOptions {
  /** The certificate role of the store: serials, planned/issued records, blocked keys. */
  store: CertificateStore;
  issuers: IssuerSet;
  profiles: readonly Profile[];
  /** Profile used when a request names none; default: the first of `profiles`. */
  defaultProfile?: string;
  /** Key policy for CSR keys; default {@link DEFAULT_KEY_POLICY} with the store's blocked-keys table. */
  keyPolicy?: KeyPolicy;
  /** Lints run on every TBS before it is stored and signed; default {@link builtinLinters}. */
  linters?: readonly Linter[];
  clock: Clock;
  random: Random;
  logger?: Logger;
  serials?: SerialOptions;
  /**
   * Chooses the issuer for a leaf key type. Default: the active issuer of the
   * leaf's key type (P-384 leaf → P-384 issuer), else of the same key family
   * (ECDSA leaf → ECDSA issuer, RSA → RSA; P-256 before P-384, RSA-2048 before
   * RSA-3072 before RSA-4096), else the first active one in that order.
   */
  selectIssuer?: (leafKeyType: CertKeyType, issuers: IssuerSet) => Issuer | undefined;
  /** With CT: precertificate → SCTs → final certificate (RFC 6962 §3.1). */
  ct?: SctCollector;
  /**
   * Called after each pipeline step has completed (and been stored). For
   * metrics and for crash testing; an exception here aborts the issuance as
   * a crash at that point would.
   */
  onStep?: (step: PipelineStep, serial: string) => void | Promise<void>;
  /**
   * Where the signature of an issuer's {@link SoftwareSigner} is made and
   * every signature (of any signer) verified. `event-loop` (default): both
   * synchronously on the calling thread, the least CPU per certificate (a
   * thread-pool round trip cost about as much CPU as the P-256
   * verification itself here: about 340 µs of CPU per certificate with
   * verification on the pool against 230 µs without, see
   * docs/benchmarks.md). `thread-pool`: both on libuv's thread pool, which
   * takes them off the event loop and lets concurrent issuances use other
   * cores, at that extra CPU. `auto`: on the event loop while one issuance
   * is in flight, on the thread pool while several are. Other signers
   * (PKCS#11) sign their own way.
   */
  softwareSigning?: 'auto' | 'event-loop' | 'thread-pool';
  /**
   * A thread that verifies signatures ({@link createVerificationWorker}).
   * While several issuances are in flight, each verifies its signature there
   * and the event loop goes on building, linting, storing and signing the
   * others: on the two-core machine of docs/benchmarks.md this raised
   * concurrent issuance from about 0.19 to about 0.3 of the raw signature
   * rate. One issuance alone verifies on the calling thread, which answers
   * sooner; with `softwareSigning` `thread-pool` or `auto`, verifications
   * bound for the thread pool go to the worker instead. The caller owns the
   * worker and closes it.
   */
  verificationWorker?: VerificationWorker;
}

/** Outcome of {@link WriteAheadIssuanceEngine.recover} for one record. */
export interface RecoveryOutcome {
  serial: string;
  /** `abandoned`: never signed, serial burnt; `issued`: completed from the planned TBS; `left`: needs SCTs, stays revocable. */
  action: 'abandoned' | 'issued' | 'left';
}

/** The issuance engine with crash recovery. */
export interface WriteAheadIssuanceEngine extends IssuanceEngine {
  /**
   * Completes or closes pipeline records left behind by a crash (records in
   * `reserved`, `planned` or `precertificate` last updated before
   * `updatedBefore`): reserved → abandoned (nothing was signed); planned →
   * re-signed from the stored TBS, verified and stored as issued (the TBS is
   * the one that was planned, so the certificate's content is exactly what
   * was linted and recorded); precertificate → left as it is (revocable),
   * since its SCTs cannot be recovered.
   */
  recover(options: { updatedBefore: Date; limit?: number }): Promise<RecoveryOutcome[]>;
}

const MAX_SERIAL_ATTEMPTS = 3;

function familyOf(keyType: string): string {
  return keyType.startsWith('RSA') ? 'rsa' : keyType.startsWith('P-') ? 'ec' : keyType;
}

/**
 * The active issuer of the leaf's own key type, else of its family (the
 * first of {@link CERT_KEY_TYPES}' order), else the first active one in that
 * order: which issuer signs never depends on the order issuers were loaded.
 */
function defaultSelectIssuer(leafKeyType: CertKeyType, issuers: IssuerSet): Issuer | undefined {
  const active = [...issuers.activeKeyTypes()].sort((a, b) => CERT_KEY_TYPES.indexOf(a) - CERT_KEY_TYPES.indexOf(b));
  const chosen = active.find((t) => t === leafKeyType) ?? active.find((t) => familyOf(t) === familyOf(leafKeyType)) ?? active[0];
  return chosen === undefined ? undefined : issuers.activeFor(chosen);
}

interface Prepared extends PreparedIssuance {
  readonly profile: Profile;
  readonly leafKeyType: CertKeyType;
}

/**
 * Creates the write-ahead issuance engine (ARCHITECTURE.md "Issuance as a
 * write-ahead pipeline"): check CSR, identifiers, key and profile → reserve a
 * unique serial → build the TBS from the profile (CSR extensions are never
 * copied) → lint → store the planned TBS → sign → verify the signature →
 * (with CT: store the precertificate, collect SCTs, build the final TBS equal
 * to the precertificate's but for poison ↔ SCT list, lint, sign, verify) →
 * store the certificate. A crash at any point leaves either no trace of the
 * serial (before reservation), a record that was never signed (`reserved`),
 * or a record carrying the serial and TBS from which the certificate can be
 * revoked (`planned`, `precertificate`); the store's uniqueness guarantee means
 * a serial is never used twice.
 */
export function createIssuanceEngine(options: IssuanceEngineOptions): WriteAheadIssuanceEngine {
  const { store, issuers, clock } = options;
  const logger = options.logger ?? silentLogger;
  // Without a logger or step hook, issue() skips building log events and awaiting hooks.
  const logIssued = options.logger !== undefined;
  const onStep = options.onStep;
  const signOn = options.softwareSigning ?? 'event-loop';
  const verificationWorker = options.verificationWorker;
  /** Issuances between the start of issue() and its end, counted for `auto` signing and the verification worker only. */
  let inFlight = 0;
  const linters = options.linters ?? builtinLinters();
  const nextSerial = createSerialGenerator(options.random, options.serials);
  const selectIssuer = options.selectIssuer ?? defaultSelectIssuer;
  const keyPolicy: KeyPolicy = options.keyPolicy ?? {
    ...DEFAULT_KEY_POLICY,
    blockedKeyLookup: async (hash) => (await store.getBlockedKey(hash)) !== undefined,
  };
  if (options.profiles.length === 0) throw new RangeError('createIssuanceEngine: at least one profile is required');
  const profiles = new Map(options.profiles.map((p) => [p.name, p]));
  const defaultProfile = options.defaultProfile ?? options.profiles[0]!.name;
  if (!profiles.has(defaultProfile)) throw new RangeError(`createIssuanceEngine: default profile "${defaultProfile}" is not among the profiles`);
  const builders = new Map<string, LeafTbsBuilder>();
  const verifiers = new Map<string, SignatureVerifier>();

  function builderFor(issuer: Issuer, profile: Profile): LeafTbsBuilder {
    const key = `${issuer.id}\u0000${profile.name}`;
    let builder = builders.get(key);
    if (builder === undefined) {
      builder = createLeafTbsBuilder(issuer, profile);
      builders.set(key, builder);
    }
    return builder;
  }

  async function signAndVerify(issuer: Issuer, tbs: Uint8Array, serial: string): Promise<Uint8Array> {
    const signer: Signer = issuer.signer;
    const threadPool = signOn === 'thread-pool' || (signOn === 'auto' && inFlight > 1);
    const signature = threadPool && signer instanceof SoftwareSigner ? await signer.signOnThreadPool(tbs) : await signer.sign(tbs);
    let verifier = verifiers.get(issuer.id);
    if (verifier === undefined) {
      verifier = verificationWorker?.verifierFor(signer.publicKeySpki) ?? createVerifier(signer.publicKeySpki);
      verifiers.set(issuer.id, verifier);
    }
    const offThread = threadPool || (verificationWorker !== undefined && inFlight > 1);
    const verified = offThread ? await verifier.verify(signer.algorithm, tbs, signature) : verifier.verifySync(signer.algorithm, tbs, signature);
    if (!verified) {
      throw new CertwrightError('serverInternal', `the signature of issuer ${issuer.id} over serial ${serial} did not verify; nothing was released`);
    }
    return assembleSigned(tbs, issuer.signatureAlgorithmDer, signature);
  }

  async function reserve(prepared: Prepared, issuer: Issuer, builder: LeafTbsBuilder): Promise<Serial> {
    const request = prepared.request;
    for (let attempt = 1; ; attempt++) {
      const serial = nextSerial();
      const reservation: SerialReservation = {
        serial: serial.hex,
        issuerId: issuer.id,
        identifiers: request.identifiers,
        profile: prepared.profile.name,
        crlShard: builder.crlShardFor(serial.bytes),
        createdAt: clock.now(),
      };
      if (request.accountId !== undefined) reservation.accountId = request.accountId;
      if (request.orderId !== undefined) reservation.orderId = request.orderId;
      try {
        await store.reserveSerial(reservation);
        return serial;
      } catch (err) {
        // A collision of 128 random bits means a broken random source; retry a few times, then stop.
        if (!isCertwrightError(err, 'conflict') || attempt >= MAX_SERIAL_ATTEMPTS) throw err;
        logger({ level: 'warn', event: 'issuance.serial_collision', serial: serial.hex, attempt });
      }
    }
  }

  function lint(tbs: BuiltLeafTbs, input: LeafTbsInput, issuer: Issuer, profile: Profile): void {
    runLints(linters, tbs.tbs, {
      profile,
      issuer,
      expected: { identifiers: input.identifiers, notBefore: input.notBefore, notAfter: input.notAfter, serial: input.serial, isCa: false },
    });
  }

  async function prepare(request: IssuanceRequest): Promise<PreparedIssuance> {
    const profileName = request.profile ?? defaultProfile;
    const profile = profiles.get(profileName);
    if (profile === undefined) throw new CertwrightError('invalidProfile', `profile "${profileName}" is not offered`);
    const csr = await parseCsrDer(request.csrDer);
    checkCsrMatchesOrder(csr, request.identifiers);
    await checkPublicKey(csr.subjectPublicKeyInfo, keyPolicy, {
      purpose: 'csr',
      ...(request.accountKeySpki === undefined ? {} : { accountKeySpki: request.accountKeySpki }),
    });
    const leafKeyType = parseSpki(csr.subjectPublicKeyInfo).keyType;
    if (leafKeyType === undefined || !profile.allowedKeyTypes.includes(leafKeyType)) {
      throw new CertwrightError('badCSR', `profile "${profile.name}" does not allow ${leafKeyType ?? 'this'} keys (allowed: ${profile.allowedKeyTypes.join(', ')})`);
    }
    if (request.identifiers.length === 0) throw new CertwrightError('malformed', 'an issuance request needs at least one identifier');
    const prepared: Prepared = {
      request,
      profileName: profile.name,
      profile,
      subjectPublicKeyInfo: csr.subjectPublicKeyInfo,
      keyType: leafKeyType,
      leafKeyType,
      commonName: profile.commonName === 'omit' ? undefined : csr.commonName,
    };
    return prepared;
  }

  /** issueOne, counting issuances in flight (for `auto` signing and the verification worker). */
  async function issueCounted(preparedIn: PreparedIssuance): Promise<IssuedCertificate> {
    inFlight++;
    try {
      return await issueOne(preparedIn);
    } finally {
      inFlight--;
    }
  }

  async function issueOne(preparedIn: PreparedIssuance): Promise<IssuedCertificate> {
    const prepared = preparedIn as Prepared;
    if (prepared.profile === undefined || prepared.leafKeyType === undefined) {
      throw new TypeError('issue() takes the value returned by prepare() of the same engine');
    }
    const { profile, request } = prepared;
    const started = logIssued ? performance.now() : 0;
    const issuer = selectIssuer(prepared.leafKeyType, issuers);
    if (issuer === undefined || issuer.status !== 'active') {
      throw new CertwrightError('serverInternal', `no active issuer can sign a ${prepared.leafKeyType} certificate`);
    }
    const builder = builderFor(issuer, profile);
    const validity = computeValidity(profile, issuer, clock.now(), request);
    const serial = await reserve(prepared, issuer, builder);
    if (onStep) await onStep('reserved', serial.hex);
    const input: LeafTbsInput = {
      serial: serial.bytes,
      spki: prepared.subjectPublicKeyInfo,
      identifiers: request.identifiers,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
    };

    let planned: BuiltLeafTbs;
    let ctPair: ReturnType<LeafTbsBuilder['buildCtPair']> | undefined;
    try {
      if (options.ct) {
        ctPair = builder.buildCtPair(input);
        planned = ctPair.precertificate;
      } else {
        planned = builder.build(input);
      }
      lint(planned, input, issuer, profile);
      const record = await store.recordPlanned(serial.hex, {
        plannedTbs: planned.tbs,
        notBefore: validity.notBefore,
        notAfter: validity.notAfter,
        updatedAt: clock.now(),
      });
      if (record === undefined) throw new CertwrightError('serverInternal', `serial ${serial.hex} was not in the reserved state when planning`);
    } catch (err) {
      // Nothing was signed: burn the serial so it is never reused, and report.
      await store.recordAbandoned(serial.hex, clock.now()).catch(() => undefined);
      logger({ level: 'error', event: 'issuance.abandoned', serial: serial.hex, error: (err as Error).message });
      throw err;
    }
    if (onStep) await onStep('planned', serial.hex);

    let certificateDer: Uint8Array;
    if (ctPair && options.ct) {
      const precertificateDer = await signAndVerify(issuer, planned.tbs, serial.hex);
      if (onStep) await onStep('signed', serial.hex);
      if ((await store.recordPrecertificate(serial.hex, precertificateDer, clock.now())) === undefined) {
        throw new CertwrightError('serverInternal', `serial ${serial.hex} was not in the planned state when storing the precertificate`);
      }
      if (onStep) await onStep('precertificate', serial.hex);
      const sctList = await options.ct.collect(precertificateDer, issuer);
      const final = ctPair.final(sctList);
      const pair = compareCtPair(planned.tbs, final.tbs);
      if (!pair.ok) throw new CertwrightError('serverInternal', `final TBS of ${serial.hex} differs from its precertificate: ${pair.reason}`);
      lint(final, input, issuer, profile);
      certificateDer = await signAndVerify(issuer, final.tbs, serial.hex);
    } else {
      certificateDer = await signAndVerify(issuer, planned.tbs, serial.hex);
      if (onStep) await onStep('signed', serial.hex);
    }
    if ((await store.recordIssued(serial.hex, certificateDer, clock.now())) === undefined) {
      throw new CertwrightError('serverInternal', `serial ${serial.hex} changed state while being signed; the certificate was not released`);
    }
    if (onStep) await onStep('issued', serial.hex);
    if (logIssued) {
      logger({
        level: 'info',
        event: 'certificate.issued',
        serial: serial.hex,
        issuer: issuer.id,
        profile: profile.name,
        names: request.identifiers.length,
        ...(request.orderId === undefined ? {} : { order: request.orderId }),
        ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
    }
    return {
      serial: serial.hex,
      issuerId: issuer.id,
      certificateDer,
      chain: [...issuer.chain],
      alternateChains: issuer.alternateChains.map((c) => [...c]),
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
    };
  }

  async function recover(opts: { updatedBefore: Date; limit?: number }): Promise<RecoveryOutcome[]> {
    const records = await store.listCertificatesByState(['reserved', 'planned', 'precertificate'], {
      updatedBefore: opts.updatedBefore,
      limit: opts.limit ?? 100,
    });
    const outcomes: RecoveryOutcome[] = [];
    for (const record of records) {
      if (record.state === 'reserved') {
        if (await store.recordAbandoned(record.serial, clock.now())) outcomes.push({ serial: record.serial, action: 'abandoned' });
        continue;
      }
      if (record.state === 'precertificate' || record.plannedTbs === undefined) {
        outcomes.push({ serial: record.serial, action: 'left' });
        continue;
      }
      const issuer = issuers.byId(record.issuerId);
      if (issuer === undefined) {
        logger({ level: 'error', event: 'issuance.recover_unknown_issuer', serial: record.serial, issuer: record.issuerId });
        outcomes.push({ serial: record.serial, action: 'left' });
        continue;
      }
      const der = await signAndVerify(issuer, record.plannedTbs, record.serial);
      if (await store.recordIssued(record.serial, der, clock.now())) {
        outcomes.push({ serial: record.serial, action: 'issued' });
        logger({ level: 'warn', event: 'issuance.recovered', serial: record.serial, issuer: issuer.id });
      }
    }
    return outcomes;
  }

  return { prepare, issue: signOn === 'auto' || verificationWorker !== undefined ? issueCounted : issueOne, recover };
}
