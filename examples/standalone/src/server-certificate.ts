/**
 * The ACME listener's own TLS certificate, issued by the CA itself through
 * the issuance engine at each start (so it is recorded, revocable and
 * covered by OCSP like any other), and renewed while the server runs. Its
 * key lives only in memory.
 */
import { buildCsr, generateSoftwareSigner, toPem, tryParseIp, type Clock, type Identifier, type IssuanceEngine, type Logger } from '@certwright/core';
import type { ListenAddress } from './config.js';

/** A PEM key and chain for `https.createServer`. */
export interface ServerTlsMaterial {
  /** PKCS#8 private key, PEM. */
  key: string;
  /** The leaf followed by the issuing CA, PEM. */
  cert: string;
  serial: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
}

/** The names of the server certificate: the listen host (unless a wildcard address), `localhost`, and the external URL's host. */
export function serverNames(listen: ListenAddress, externalUrl: string): Identifier[] {
  const hosts = new Set<string>();
  if (listen.host !== '0.0.0.0' && listen.host !== '::') hosts.add(listen.host.toLowerCase());
  hosts.add('localhost');
  hosts.add(new URL(externalUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase());
  return [...hosts].map((value) => ({ type: tryParseIp(value) === undefined ? 'dns' : 'ip', value }));
}

/** Issues the server certificate for `names` with a fresh P-256 key (profile `default`). */
export async function issueServerCertificate(issuance: IssuanceEngine, names: Identifier[]): Promise<ServerTlsMaterial> {
  const signer = await generateSoftwareSigner('P-256');
  const csrDer = await buildCsr({ signer, identifiers: names });
  const issued = await issuance.issue(await issuance.prepare({ csrDer, identifiers: names, profile: 'default' }));
  return {
    key: signer.exportPrivateKeyPem(),
    cert: [issued.certificateDer, ...issued.chain.slice(0, -1)].map((der) => toPem(der, 'CERTIFICATE')).join(''),
    serial: issued.serial,
    names: names.map((n) => n.value),
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}

/** Whether a certificate is in the last third of its lifetime (when it is renewed). */
export function renewalDue(material: Pick<ServerTlsMaterial, 'notBefore' | 'notAfter'>, now: Date): boolean {
  const lifetime = material.notAfter.getTime() - material.notBefore.getTime();
  return now.getTime() >= material.notAfter.getTime() - lifetime / 3;
}

/** Options of {@link createTlsRenewal}. */
export interface TlsRenewalOptions {
  /** The certificate in use. */
  current: ServerTlsMaterial;
  /** Issues a replacement. */
  issue: () => Promise<ServerTlsMaterial>;
  /** Puts a replacement in use (e.g. `https.Server#setSecureContext`). */
  apply: (material: ServerTlsMaterial) => void;
  clock: Clock;
  logger: Logger;
}

/** Keeps the listener's certificate fresh; see {@link createTlsRenewal}. */
export interface TlsRenewal {
  /** Renews now if the certificate is in the last third of its lifetime; resolves with whether it did. Never rejects (a failure is logged and retried at the next check). */
  check(): Promise<boolean>;
  /** Checks every `intervalMs` until the returned function is called. */
  schedule(intervalMs: number): () => void;
}

/**
 * The listener's own certificate is renewed while the server runs, so a
 * server that runs longer than the certificate's lifetime never serves an
 * expired one: checked on a schedule, renewed in the last third of its
 * lifetime, swapped in without a restart.
 */
export function createTlsRenewal(options: TlsRenewalOptions): TlsRenewal {
  let current = options.current;
  let running = false;
  const check = async (): Promise<boolean> => {
    if (running || !renewalDue(current, options.clock.now())) return false;
    running = true;
    try {
      const next = await options.issue();
      options.apply(next);
      options.logger({ level: 'info', event: 'tls.renewed', serial: next.serial, previous: current.serial, notAfter: next.notAfter.toISOString() });
      current = next;
      return true;
    } catch (err) {
      options.logger({ level: 'error', event: 'tls.renewalFailed', serial: current.serial, error: (err as Error).message });
      return false;
    } finally {
      running = false;
    }
  };
  return {
    check,
    schedule(intervalMs) {
      const timer = setInterval(() => void check(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
