/**
 * The CA that the real ACME clients (certbot, lego, uacme, dehydrated) talk
 * to: a certwright ACME engine served over HTTPS by the node adapter on
 * loopback, backed by the SQL store on a temporary SQLite file, with the
 * real http-01, dns-01 and tls-alpn-01 validators (and CAA) — nothing is
 * auto-valid. Names resolve through pebble-challtestsrv, never through the
 * host's resolver. The HTTPS certificate is issued by the CA itself for
 * 127.0.0.1 and localhost; clients trust the root written to `rootPath`.
 */
import type { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DAY,
  HOUR,
  IssuerSet,
  buildCsr,
  createIdentifierPolicy,
  createIntermediateCa,
  createIssuanceEngine,
  createRootCa,
  crossSign,
  cryptoRandom,
  defaultProfiles,
  generateSoftwareSigner,
  silentLogger,
  systemClock,
  toPem,
  withAlternateChain,
} from '@certwright/core';
import type { CertificateRecord, ChallengeType, Identifier, IssuanceEngine } from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';
import type { SqlStore } from '@certwright/core/sql';
import {
  createAcmeServer,
  createAcmeUrls,
  createConnectionPolicy,
  createNodeDnsResolver,
  dns01Validator,
  http01Validator,
  issuerChains,
  tlsAlpn01Validator,
} from '@certwright/acme';
import type { AcmeServer, AcmeServerOptions } from '@certwright/acme';
import { createNodeHandler } from '@certwright/acme/node';
import { startTestDns } from './challtestsrv.js';
import type { TestDns } from './challtestsrv.js';
import { storeSerial } from './certificates.js';
import { freePort, tempDir } from './processes.js';

/** The DNS suffix every test name lives under; the identifier policy allows only it. */
export const TEST_DOMAIN = 'certwright.test';

/** The CA's CAA identity (RFC 8659), published in `meta.caaIdentities`. */
export const CAA_IDENTITY = 'ca.certwright.test';

/** One challenge of an issued certificate's order that the CA validated. */
export interface ValidatedChallenge {
  readonly identifier: string;
  readonly type: ChallengeType;
  /** What the validator observed (addresses, URL, port, …). */
  readonly validationRecord: readonly unknown[];
}

/** What a test file may change in {@link startClientTestCa}'s CA; everything else is fixed. */
export interface ClientTestCaOptions {
  /**
   * Cross-sign the issuing CA by a second root (`alternateRootPath`), so
   * every certificate is also served with that alternate chain
   * (RFC 8555 §7.4.2, `Link: rel="alternate"`).
   */
  readonly alternateChain?: boolean;
  /** Require External Account Binding on newAccount (RFC 8555 §7.3.4); keys come from the store (`store.createEabKey`). */
  readonly externalAccountRequired?: boolean;
  /** CIDR ranges of IP identifiers (RFC 8738) the identifier policy accepts; default none. */
  readonly allowedIpRanges?: readonly string[];
  /** The challenge types the CA offers (default all three: http-01, dns-01, tls-alpn-01). */
  readonly challengeTypes?: readonly ChallengeType[];
}

/** A running CA for the real-client tests. */
export interface ClientTestCa {
  /** `https://127.0.0.1:<port>/directory`. */
  readonly directoryUrl: string;
  /** The root certificate, PEM, in a file: the trust anchor to hand the clients. */
  readonly rootPath: string;
  /** The subject CN of the root. */
  readonly rootName: string;
  /** With `alternateChain`: the second root, PEM, in a file, and its subject CN. */
  readonly alternateRootPath?: string;
  readonly alternateRootName?: string;
  /** The port the http-01 validator dials (clients listen or serve the webroot there). */
  readonly http01Port: number;
  /** The port the tls-alpn-01 validator dials. */
  readonly tlsAlpn01Port: number;
  /** The DNS server the CA's validators ask. */
  readonly dns: TestDns;
  /** The SQL store behind the engine. */
  readonly store: SqlStore;
  readonly engine: AcmeServer;
  /** Makes `name` resolve to 127.0.0.1 in the test DNS; returns it. */
  addName(name: string): Promise<string>;
  /** The store's record of a certificate (looked up by serial); throws if there is none. */
  certificateRecord(cert: X509Certificate): Promise<CertificateRecord>;
  /** The valid challenges of the order that issued `cert`, one per identifier. */
  validatedChallenges(cert: X509Certificate): Promise<ValidatedChallenge[]>;
  /** Stops the HTTPS server, drains the engine, closes the store, stops the DNS server, deletes the files. */
  stop(): Promise<void>;
}

/** The listener's certificate: issued through the CA's own pipeline, so it is recorded like any other. */
async function listenerCertificate(issuance: IssuanceEngine): Promise<{ key: string; cert: string }> {
  const names: Identifier[] = [
    { type: 'dns', value: 'localhost' },
    { type: 'ip', value: '127.0.0.1' },
  ];
  const signer = await generateSoftwareSigner('P-256');
  const issued = await issuance.issue(await issuance.prepare({ csrDer: await buildCsr({ signer, identifiers: names }), identifiers: names, profile: 'default' }));
  return {
    key: signer.exportPrivateKeyPem(),
    cert: [issued.certificateDer, ...issued.chain.slice(0, -1)].map((der) => toPem(der, 'CERTIFICATE')).join(''),
  };
}

/**
 * Starts the DNS server and the CA. `label` names the temporary directory.
 * Call `stop()` in `afterAll`.
 */
export async function startClientTestCa(label: string, options: ClientTestCaOptions = {}): Promise<ClientTestCa> {
  const dir = tempDir(`clients-${label}`);
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const dns = await startTestDns();
    cleanups.push(() => dns.stop());
    const store = await openSqlStore({ url: `sqlite:${join(dir, 'ca.sqlite')}` });
    cleanups.push(() => store.close());
    await store.migrate();

    const clock = systemClock();
    const random = cryptoRandom();
    const rootName = `certwright client-test Root (${label})`;
    const root = await createRootCa({ subject: [{ type: 'CN', value: rootName }], keyType: 'P-256', validitySeconds: 365 * 86400, clock, random });
    let intermediate = await createIntermediateCa({ root, subject: [{ type: 'CN', value: `certwright client-test Issuing CA (${label})` }], keyType: 'P-256', validitySeconds: 180 * 86400, clock, random });
    const rootPath = join(dir, 'root.pem');
    writeFileSync(rootPath, toPem(root.certificate, 'CERTIFICATE'));
    let alternate: { alternateRootPath: string; alternateRootName: string } | undefined;
    if (options.alternateChain === true) {
      const alternateRootName = `certwright client-test Alternate Root (${label})`;
      // O before CN: dehydrated 0.7 finds the CN of an issuer name only after another attribute.
      const second = await createRootCa({ subject: [{ type: 'O', value: 'certwright tests' }, { type: 'CN', value: alternateRootName }], keyType: 'P-384', validitySeconds: 365 * 86400, clock, random });
      intermediate = withAlternateChain(intermediate, await crossSign({ subject: intermediate, by: second, validitySeconds: 180 * 86400, clock, random }));
      alternate = { alternateRootPath: join(dir, 'alternate-root.pem'), alternateRootName };
      writeFileSync(alternate.alternateRootPath, toPem(second.certificate, 'CERTIFICATE'));
    }
    const issuers = new IssuerSet([intermediate]);
    const issuance = createIssuanceEngine({ store, issuers, profiles: defaultProfiles(), clock, random });

    const server = createServer(await listenerCertificate(issuance));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const urls = createAcmeUrls(baseUrl);

    const http01Port = await freePort();
    const tlsAlpn01Port = await freePort();
    const resolver = createNodeDnsResolver({ servers: [dns.server], timeoutMs: 2000, tries: 2 });
    const policy = createConnectionPolicy({ allowPrivate: true, ports: { http01: http01Port, tlsAlpn01: tlsAlpn01Port, allowedRedirectPorts: [http01Port] } });
    const caa = { config: { issuerDomains: [CAA_IDENTITY] }, accountUri: (account: { id: string }) => urls.account(account.id) };
    const challengeTypes = options.challengeTypes ?? ['http-01', 'dns-01', 'tls-alpn-01'];
    const validators: AcmeServerOptions['validators'] = [
      http01Validator({ resolver, policy, caa }),
      dns01Validator({ resolver, caa }),
      tlsAlpn01Validator({ resolver, policy, caa }),
    ].filter((v) => challengeTypes.includes(v.type));
    const engine = createAcmeServer({
      baseUrl,
      store,
      issuance,
      chains: issuerChains(issuers),
      identifierPolicy: createIdentifierPolicy({ allowedSuffixes: [TEST_DOMAIN], allowedIpRanges: options.allowedIpRanges ?? [] }),
      validators,
      clock,
      logger: silentLogger,
      random,
      profiles: [{ name: 'default', description: '90-day TLS server certificate' }],
      defaultProfile: 'default',
      meta: { caaIdentities: [CAA_IDENTITY], externalAccountRequired: options.externalAccountRequired ?? false },
      lifetimes: { order: DAY, authorization: DAY, pendingAuthorization: HOUR, nonce: HOUR },
      authorizationReuse: { enabled: true, minRemainingMs: HOUR },
      preAuthorization: false,
      retryAfterSeconds: 1,
    });
    cleanups.push(() => engine.close());
    server.on('request', createNodeHandler(engine, { baseUrl }));

    const certificateRecord = async (cert: X509Certificate): Promise<CertificateRecord> => {
      const serial = storeSerial(cert);
      const record = await store.getCertificate(serial);
      if (record === undefined) throw new Error(`the store has no certificate with serial ${serial} (${cert.subject})`);
      return record;
    };
    return {
      directoryUrl: urls.directory,
      rootPath,
      rootName,
      ...alternate,
      http01Port,
      tlsAlpn01Port,
      dns,
      store,
      engine,
      async addName(name) {
        await dns.addA(name, ['127.0.0.1']);
        return name;
      },
      certificateRecord,
      async validatedChallenges(cert) {
        const record = await certificateRecord(cert);
        const order = record.orderId === undefined ? undefined : await store.getOrder(record.orderId);
        if (order === undefined) throw new Error(`certificate ${record.serial} has no order in the store`);
        const authorizations = await store.getAuthorizations(order.authorizationIds);
        return authorizations.flatMap((authz) =>
          authz.challenges
            .filter((c) => c.status === 'valid')
            .map((c) => ({ identifier: authz.identifier.value, type: c.type, validationRecord: c.validationRecord ?? [] })),
        );
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
