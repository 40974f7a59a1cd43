/**
 * The real standalone CA process (`node examples/standalone/dist/cli.js
 * serve`, built by `tsc -b`) for the end-to-end tests: a fresh data
 * directory, free loopback ports, real validation (private networks
 * allowed, names resolved by a pebble-challtestsrv the test controls, only
 * names under {@link TEST_DOMAIN} certified), and the relying-party checks
 * every certificate must pass with the openssl CLI: the chain verifies
 * against the data directory's root.pem, OCSP at `<status>/ocsp/` answers
 * `good` / `revoked` with a verified response, and the CRL behind the
 * certificate's CRL distribution point lists a revoked serial.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startServe } from '../../examples/standalone/test/processes.js';
import type { ServeProcess } from '../../examples/standalone/test/processes.js';
import { startTestDns } from '../clients/challtestsrv.js';
import type { TestDns } from '../clients/challtestsrv.js';
import { leafOf, opensslVerify, pemBlocks } from '../clients/certificates.js';
import { TEST_DOMAIN } from '../clients/harness.js';
import { freePort, tempDir } from '../clients/processes.js';

export { TEST_DOMAIN };

/** A running standalone CA with its test DNS server. */
export interface StandaloneCa {
  readonly server: ServeProcess;
  /** `https://127.0.0.1:<port>/directory` (or the external URL's). */
  readonly directoryUrl: string;
  /** `<data dir>/root.pem`: the trust anchor handed to clients and openssl. */
  readonly rootPath: string;
  /** `<data dir>/intermediate.pem`: the issuing CA, then the root. */
  readonly intermediatePath: string;
  readonly dataDir: string;
  /** `http://127.0.0.1:<port>`: the status listener (OCSP, CRLs). */
  readonly statusUrl: string;
  /** The port the CA's http-01 validation dials. */
  readonly http01Port: number;
  /** The port the CA's tls-alpn-01 validation dials. */
  readonly tlsAlpn01Port: number;
  readonly dns: TestDns;
  /** A scratch directory of the test, deleted by `stop()`. */
  readonly workDir: string;
  /** Makes `name` resolve to 127.0.0.1 in the test DNS; returns it. */
  addName(name: string): Promise<string>;
  /** Stops the server (SIGTERM, expecting exit code 0) and the DNS server, deletes the files. */
  stop(): Promise<void>;
}

/** What the relying-party checks need of a CA: its files, its status listener, a scratch directory. */
export type CaView = Pick<StandaloneCa, 'rootPath' | 'intermediatePath' | 'statusUrl' | 'workDir'>;

/** Starts pebble-challtestsrv and `certwright serve` on a fresh data directory; `env` adds or overrides variables. */
export async function startStandaloneCa(label: string, env: Readonly<Record<string, string>> = {}): Promise<StandaloneCa> {
  const workDir = tempDir(`standalone-${label}`);
  const dataDir = join(workDir, 'data');
  const dns = await startTestDns();
  try {
    const [acmePort, statusPort, http01Port, tlsAlpn01Port] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const statusUrl = `http://127.0.0.1:${statusPort}`;
    const server = await startServe({
      CERTWRIGHT_DATA_DIR: dataDir,
      CERTWRIGHT_LISTEN: `127.0.0.1:${acmePort}`,
      CERTWRIGHT_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      CERTWRIGHT_HTTP01_PORT: String(http01Port),
      CERTWRIGHT_TLSALPN01_PORT: String(tlsAlpn01Port),
      CERTWRIGHT_DNS_RESOLVER: dns.server,
      CERTWRIGHT_ALLOW_PRIVATE_NETWORKS: 'true',
      CERTWRIGHT_ALLOWED_DOMAINS: TEST_DOMAIN,
      ...env,
    });
    return {
      server,
      directoryUrl: server.directoryUrl,
      rootPath: server.rootPath,
      intermediatePath: join(dataDir, 'intermediate.pem'),
      dataDir,
      statusUrl,
      http01Port,
      tlsAlpn01Port,
      dns,
      workDir,
      async addName(name) {
        await dns.addA(name, ['127.0.0.1']);
        return name;
      },
      async stop() {
        const code = await server.stop();
        await dns.stop();
        rmSync(workDir, { recursive: true, force: true });
        expect(code, `server exit code\n${server.stderr()}`).toBe(0);
      },
    };
  } catch (err) {
    await dns.stop();
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs openssl to completion; throws with its output when it fails. Returns stdout. */
export function openssl(args: readonly string[]): string {
  try {
    return execFileSync('openssl', [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}

/** Runs openssl and returns stdout and stderr together (openssl ocsp and crl print "verify OK" on stderr). */
export function opensslOutput(args: readonly string[], input?: string): string {
  const r = spawnSync('openssl', [...args], { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  return `${r.stdout}${r.stderr}`;
}

/** One issued certificate as a client saved it. */
export interface SavedCertificate {
  /** A file whose first PEM block is the leaf. */
  readonly certPath: string;
  /** A file holding the intermediate (it may hold the leaf too). */
  readonly chainPath: string;
  /** The DNS names requested. */
  readonly names: readonly string[];
  /** Client output for assertion messages. */
  readonly context: string;
}

/**
 * Checks an issuance as a relying party would: names, `openssl verify`
 * against root.pem, the issuer is the data directory's intermediate, OCSP
 * answers `good` and the CRL at its distribution point does not list it.
 * Returns the leaf.
 */
export async function expectValidCertificate(ca: CaView, saved: SavedCertificate): Promise<X509Certificate> {
  const leaf = leafOf(saved.certPath);
  const sans = (leaf.subjectAltName ?? '').split(',').map((s) => s.trim()).sort();
  expect(sans, saved.context).toEqual(saved.names.map((n) => `DNS:${n}`).sort());
  expect(opensslVerify(ca.rootPath, saved.chainPath, saved.certPath), saved.context).toMatch(/: OK\s*$/);
  const issuer = new X509Certificate(pemBlocks(ca.intermediatePath)[0]!);
  expect(leaf.checkIssued(issuer), saved.context).toBe(true);
  expect(ocspStatus(ca, leaf), saved.context).toMatch(/: good\n/);
  expect(crlDistributionPoint(leaf).startsWith(`${ca.statusUrl}/crl/`), saved.context).toBe(true);
  const crl = await fetchCrlText(ca, leaf);
  expect(listsSerial(crl, opensslSerial(leaf)), `the CRL lists ${opensslSerial(leaf)} before any revocation\n${crl}`).toBe(false);
  return leaf;
}

/** `openssl ocsp` against the certificate's CA at `<status>/ocsp/`; the whole output. */
export function ocspStatus(ca: CaView, leaf: X509Certificate): string {
  const leafPath = join(ca.workDir, `ocsp-leaf-${leaf.serialNumber}.pem`);
  const issuerPath = join(ca.workDir, 'ocsp-issuer.pem');
  writeFileSync(leafPath, leaf.toString());
  writeFileSync(issuerPath, pemBlocks(ca.intermediatePath)[0]!);
  const out = opensslOutput(['ocsp', '-issuer', issuerPath, '-cert', leafPath, '-url', `${ca.statusUrl}/ocsp/`, '-CAfile', ca.rootPath]);
  expect(out, `OCSP response signature\n${out}`).toContain('Response verify OK');
  return out.replace(leafPath, 'leaf');
}

/** The URI of the certificate's CRL distribution point (RFC 5280 §4.2.1.13), read with `openssl x509 -text`. */
export function crlDistributionPoint(leaf: X509Certificate): string {
  const text = opensslOutput(['x509', '-noout', '-text'], leaf.toString());
  const uri = /X509v3 CRL Distribution Points:\s+Full Name:\s+URI:(\S+)/.exec(text)?.[1];
  if (uri === undefined) throw new Error(`the certificate has no CRL distribution point URI:\n${text}`);
  return uri;
}

/** The serial as openssl prints it: uppercase hex without leading zero octets. */
function opensslSerial(leaf: X509Certificate): string {
  return leaf.serialNumber.toUpperCase().replace(/^(00)+/, '');
}

/**
 * Fetches the CRL named by the certificate's distribution point from
 * `ca.statusUrl` (the same path: one node's status listener, or the
 * distribution point itself when `statusUrl` is its base) and returns
 * `openssl crl -inform DER -text` of it, after checking its signature
 * against the intermediate and the root.
 */
export async function fetchCrlText(ca: CaView, leaf: X509Certificate): Promise<string> {
  const cdp = new URL(crlDistributionPoint(leaf));
  expect(cdp.pathname.startsWith('/crl/'), cdp.href).toBe(true);
  const url = `${ca.statusUrl}${cdp.pathname}`;
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  const path = join(ca.workDir, `crl-${leaf.serialNumber}.der`);
  writeFileSync(path, Buffer.from(await res.arrayBuffer()));
  const text = opensslOutput(['crl', '-inform', 'DER', '-in', path, '-text', '-noout', '-CAfile', ca.intermediatePath]);
  expect(text, `CRL signature (${url})\n${text}`).toContain('verify OK');
  return text;
}

/**
 * After a revocation: OCSP says `revoked` (response signature verified)
 * and the CRL at the certificate's distribution point lists the serial.
 * The server regenerates the CRL right after an ACME revocation; the CRL
 * is polled for up to 5 s in case that finishes just after the client's answer.
 */
export async function expectRevokedEverywhere(ca: CaView, leaf: X509Certificate, context: string): Promise<void> {
  const ocsp = ocspStatus(ca, leaf);
  expect(ocsp, `OCSP after revocation\n${ocsp}\n${context}`).toMatch(/: revoked\n/);
  const serial = opensslSerial(leaf);
  let crl = '';
  for (let attempt = 0; attempt < 25; attempt++) {
    crl = await fetchCrlText(ca, leaf);
    if (listsSerial(crl, serial)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(listsSerial(crl, serial), `the CRL does not list serial ${serial}\n${crl}\n${context}`).toBe(true);
}

function listsSerial(crlText: string, serial: string): boolean {
  return [...crlText.matchAll(/Serial Number: ([0-9A-F]+)/g)].some((m) => m[1]!.replace(/^(00)+/, '') === serial);
}
