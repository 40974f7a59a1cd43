/**
 * The ACME listener's own TLS certificate, issued by the CA itself through
 * the issuance engine at each start (so it is recorded, revocable and
 * covered by OCSP like any other). Its key lives only in memory.
 */
import { buildCsr, generateSoftwareSigner, toPem, tryParseIp, type Identifier, type IssuanceEngine } from '@certwright/core';
import type { ListenAddress } from './config.js';

/** A PEM key and chain for `https.createServer`. */
export interface ServerTlsMaterial {
  /** PKCS#8 private key, PEM. */
  key: string;
  /** The leaf followed by the issuing CA, PEM. */
  cert: string;
  serial: string;
  names: string[];
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
  };
}
