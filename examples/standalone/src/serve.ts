/**
 * `certwright serve` (`pnpm start`): the ACME API over HTTPS with a
 * certificate the CA issues itself at start-up, and the status listener
 * (OCSP, CRLs, metrics, health) over plain HTTP. Runs until SIGTERM or
 * SIGINT, then stops accepting, drains, and closes the store and the key.
 */
import { createVerifier, createIdentifierPolicy, DAY, HOUR, MemoryNonceStore, MINUTE, type Clock, type Logger, type Random, type Revocation } from '@certwright/core';
import { createAcmeServer, issuerChains, type AcmeServer, type AcmeStore } from '@certwright/acme';
import { acmePlugin, createConnectListener } from '@certwright/acme/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { acmeListenerOptions } from './acme-listener.js';
import { sha256Fingerprint } from './ca-files.js';
import { acquireServerLock } from './server-lock.js';
import { redactUrl, type StandaloneConfig } from './config.js';
import type { CaMetrics } from './metrics.js';
import { acmeRoute, addRequestLog } from './request-log.js';
import { openRuntime, type CaRuntime } from './runtime.js';
import { scheduleRetention } from './retention.js';
import { recoverAtStart } from './start-recovery.js';
import { createTlsRenewal, issueServerCertificate, serverNames } from './server-certificate.js';
import { createStatusApp } from './status-app.js';
import { createValidators, resolverServers } from './validators.js';

/** What `serve` needs from its caller. */
export interface ServeContext {
  config: StandaloneConfig;
  clock: Clock;
  random: Random;
  logger: Logger;
  metrics: CaMetrics;
  /** Human-readable progress lines (stdout). */
  out: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  /** Stops accepting, drains background work, closes listeners, store and key. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The store as the ACME engine sees it: revocations through ACME
 * (`revokeCert`, RFC 8555 §7.6) also re-sign the OCSP responses and the
 * CRL shard of the certificate at once.
 */
function storeWithStatusUpdates(runtime: CaRuntime, logger: Logger): AcmeStore {
  const store = runtime.store;
  return new Proxy(store, {
    get(target, property) {
      if (property === 'revoke') {
        return async (...args: Parameters<typeof store.revoke>): Promise<Revocation | undefined> => {
          const revocation = await target.revoke(...args);
          if (revocation !== undefined) {
            await runtime.ocsp.revoked(revocation).catch((err: unknown) => logger({ level: 'error', event: 'ocsp.resignFailed', serial: revocation.serial, error: (err as Error).message }));
          }
          return revocation;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Listens, turning a busy or forbidden address into an error that names the setting to change. */
async function listenOn(app: FastifyInstance, host: string, port: number, setting: string): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : (err as Error).message;
    throw new Error(`cannot listen on ${host}:${port} (${setting}): ${why}; stop the other process or choose another address with ${setting}`, { cause: err });
  }
}

/** Starts the CA; resolves once both listeners accept connections. */
export async function startServer(ctx: ServeContext): Promise<RunningServer> {
  const { config, clock, random, logger, metrics, out } = ctx;
  const server = config.server;
  const release = acquireServerLock(config.dataDir);
  let runtime: CaRuntime;
  try {
    runtime = await openRuntime(config, { clock, random, logger, metrics, caMode: 'create-or-load' });
  } catch (err) {
    release();
    throw err;
  }
  let engine: AcmeServer | undefined;
  let acmeApp: FastifyInstance | undefined;
  let statusApp: FastifyInstance | undefined;
  let stopping: Promise<void> | undefined;
  let stopRenewal: (() => void) | undefined;
  let stopRetention: (() => void) | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopRenewal?.();
      stopRetention?.();
      await acmeApp?.close();
      await engine?.close();
      await statusApp?.close();
      try {
        await runtime.close();
      } finally {
        release();
      }
    })());
  try {
    // Every issuing key must sign and verify before anything is offered.
    for (const issuer of runtime.issuers.all()) {
      const probe = new TextEncoder().encode(`certwright key check ${clock.now().toISOString()}`);
      const keyOk = await createVerifier(issuer.spki).verify(issuer.signer.algorithm, probe, await issuer.signer.sign(probe));
      if (!keyOk) throw new Error(`the key of issuing CA ${issuer.id} produced a signature that does not verify with its certificate`);
    }

    engine = createAcmeServer({
      baseUrl: server.externalUrl,
      store: storeWithStatusUpdates(runtime, logger),
      // One process owns a SQLite file: its nonces need no database write. Nodes sharing PostgreSQL/MariaDB share nonces in the database.
      ...(runtime.store.dialect === 'sqlite' ? { nonceStore: new MemoryNonceStore() } : {}),
      issuance: runtime.issuance,
      chains: issuerChains(runtime.issuers),
      identifierPolicy: createIdentifierPolicy({ ...(server.allowedDomains === undefined ? {} : { allowedSuffixes: server.allowedDomains }), allowedIpRanges: server.allowedIpRanges }),
      validators: createValidators(server),
      clock,
      logger,
      random,
      profiles: runtime.profiles.map((p) => ({ name: p.name, description: p.description ?? p.name, maxValiditySeconds: p.validitySeconds })),
      defaultProfile: runtime.profiles[0]!.name,
      meta: { externalAccountRequired: server.externalAccountRequired },
      lifetimes: { order: 7 * DAY, authorization: 30 * DAY, pendingAuthorization: 7 * DAY, nonce: HOUR },
      authorizationReuse: { enabled: true, minRemainingMs: DAY },
      preAuthorization: false,
      retryAfterSeconds: 1,
      // Most issuances take a few milliseconds: answer finalize with the valid order instead of making the client poll.
      finalizeWaitMs: 3000,
      // Likewise a challenge POST answers with the validation's outcome when it ends within 3 s: one poll fewer.
      challengeWaitMs: 3000,
    });
    const recovered = await recoverAtStart(runtime.issuance, engine, runtime.store.dialect, clock);
    engine.startRecovery({ intervalMs: MINUTE });
    stopRetention = scheduleRetention({ store: runtime.store, clock, logger, graceMs: DAY, batchSize: 1000, maxBatchesPerPass: 20, intervalMs: 10 * MINUTE });

    const names = serverNames(server.listen, server.externalUrl);
    const tls = await issueServerCertificate(runtime.issuance, names);
    const acme = { server: engine, baseUrl: server.externalUrl };
    const https = Fastify(acmeListenerOptions(tls, acme));
    // Node closes a CONNECT request's connection without an answer unless it has a listener: the engine answers it (405 problem).
    https.server.on('connect', createConnectListener(engine, acme));
    acmeApp = https;
    const basePath = new URL(server.externalUrl).pathname.replace(/\/+$/, '');
    addRequestLog(acmeApp, { listener: 'acme', logger, metrics, route: (path) => acmeRoute(path, `${basePath}/`), acmeBasePath: `${basePath}/` });
    // The listener serves ACME only: the plugin takes every path, and the engine answers those outside the base URL with its 404 problem.
    await acmeApp.register(acmePlugin, { ...acme, prefix: '' });
    statusApp = createStatusApp({ ocsp: runtime.ocsp, store: runtime.store, issuers: runtime.active, metrics, logger, clock });

    await listenOn(acmeApp, server.listen.host, server.listen.port, 'CERTWRIGHT_LISTEN');
    await listenOn(statusApp, server.statusListen.host, server.statusListen.port, 'CERTWRIGHT_STATUS_LISTEN');
    runtime.ocsp.start();
    stopRenewal = createTlsRenewal({
      current: tls,
      issue: () => issueServerCertificate(runtime.issuance, names),
      apply: (material) => https.server.setSecureContext({ key: material.key, cert: material.cert }),
      clock,
      logger,
    }).schedule(HOUR);

    const version = await runtime.store.schemaVersion();
    out('certwright standalone CA');
    out(`  data directory:      ${config.dataDir}`);
    out(`  database:            ${redactUrl(config.databaseUrl)} (schema version ${version})`);
    out(`  root certificate:    ${runtime.ca.paths.rootCert}${runtime.ca.created ? ' (created now)' : ''}`);
    out(`  root SHA-256:        ${sha256Fingerprint(runtime.ca.root.certificate)}`);
    for (const issuer of runtime.issuers.all()) {
      const where = runtime.ca.keyLocations.get(issuer.id)!;
      out(`  issuing CA:          ${issuer.id} (${issuer.keyType}, ${issuer.status}), valid until ${issuer.notAfter.toISOString()}`);
      out(`  issuing key:         ${where} (signed and verified a test message)`);
    }
    out(`  validation:          http-01 port ${server.http01Port}, tls-alpn-01 port ${server.tlsAlpn01Port}, DNS ${resolverServers(server).join(', ')}, private networks ${server.allowPrivateNetworks ? 'allowed' : 'refused'}`);
    out(`  certificate transparency: ${runtime.ct === undefined ? 'off' : `${runtime.ct.logs.length} logs, ${server.ctLogs!.required} SCTs required`}`);
    out(`  recovered at start:  ${recovered.certificates} interrupted issuances, ${recovered.orders} processing orders, ${recovered.validations} interrupted validations`);
    out(`  TLS certificate:     serial ${tls.serial} for ${tls.names.join(', ')}`);
    out('');
    out(`ACME directory listening on ${server.externalUrl}/directory`);
    out(`OCSP, CRLs and metrics listening on ${server.statusBaseUrl} (/ocsp/, /crl/, /metrics, /healthz, /readyz)`);
    out(`Clients must trust the root: ${runtime.ca.paths.rootCert}`);
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
