/**
 * Test fixtures for validation: pebble-challtestsrv as a real DNS server,
 * an in-memory resolver, loopback HTTP/TLS servers and tls-alpn-01
 * certificates built with core's x509 pieces.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer } from 'node:tls';
import {
  algorithmIdentifierDer,
  der,
  encodeName,
  encodeTbs,
  extension,
  signTbs,
  softwareSignerFromKeyObject,
  subjectAltNameExtension,
  toPem,
} from '@certwright/core';
import type { Account, Identifier } from '@certwright/core';

type Der = der.Der;
import { DnsLookupError } from '../../src/validation/dns-error.js';
import type { DnsFailureKind } from '../../src/validation/dns-error.js';
import type { CaaRecord, DnsResolver } from '../../src/validation/dns-resolver.js';
import { keyAuthorizationDigest } from '../../src/validation/key-authorization-digest.js';

export const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
export const THUMBPRINT = 'nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEY-T9x4fM';
export const KEY_AUTHZ = `${TOKEN}.${THUMBPRINT}`;
export const ACCOUNT_URL = 'https://ca.example/acme/acct/acct-1';

export const ACCOUNT: Account = {
  id: 'acct-1',
  status: 'valid',
  jwk: { kty: 'EC' },
  thumbprint: THUMBPRINT,
  contact: [],
  termsOfServiceAgreed: true,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  version: 1,
};

/** A validation input for `value`. */
export function inputFor(value: string, type: 'dns' | 'ip' = 'dns', keyAuthorization = KEY_AUTHZ) {
  return { identifier: { type, value }, token: TOKEN, keyAuthorization, account: ACCOUNT } as const;
}

/** A free TCP port on loopback (the kernel picks it; it is released before use). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A running pebble-challtestsrv with its DNS server on loopback. */
export interface ChallTestSrv {
  /** `127.0.0.1:<port>` of its DNS server. */
  readonly dnsServer: string;
  setTxt(host: string, value: string): Promise<void>;
  addA(host: string, addresses: string[]): Promise<void>;
  addAaaa(host: string, addresses: string[]): Promise<void>;
  addCaa(host: string, policies: { tag: string; value: string }[]): Promise<void>;
  setCname(host: string, target: string): Promise<void>;
  setServfail(host: string): Promise<void>;
  stop(): Promise<void>;
}

const fqdn = (host: string): string => (host.endsWith('.') ? host : `${host}.`);

/** Starts pebble-challtestsrv with only its DNS server (no default A/AAAA answers) and its management API on free loopback ports. */
export async function startChallTestSrv(): Promise<ChallTestSrv> {
  const dnsPort = await freePort();
  const mgmtPort = await freePort();
  const child: ChildProcess = spawn(
    'pebble-challtestsrv',
    ['-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${mgmtPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '', '-defaultIPv6', ''],
    { stdio: 'ignore' },
  );
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = new Error(`pebble-challtestsrv could not be started (install Debian's "pebble" package): ${err.message}`);
  });
  const base = `http://127.0.0.1:${mgmtPort}`;
  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status}`);
    await res.arrayBuffer();
  };
  for (let i = 0; ; i++) {
    if (spawnError !== undefined) throw spawnError;
    try {
      const res = await fetch(`${base}/`);
      await res.arrayBuffer();
      break;
    } catch (err) {
      if (i > 50) {
        child.kill();
        throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${dnsPort}`]);
  for (let i = 0; ; i++) {
    const answered = await probe.resolveTxt('ready.probe.test').then(
      () => true,
      (err: { code?: string }) => err.code === 'ENODATA' || err.code === 'ENOTFOUND',
    );
    if (answered) break;
    if (i > 50) {
      child.kill();
      throw new Error('pebble-challtestsrv: its DNS server did not answer');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dnsServer: `127.0.0.1:${dnsPort}`,
    setTxt: (host, value) => post('/set-txt', { host: fqdn(host), value }),
    addA: (host, addresses) => post('/add-a', { host: fqdn(host), addresses }),
    addAaaa: (host, addresses) => post('/add-aaaa', { host: fqdn(host), addresses }),
    addCaa: (host, policies) => post('/add-caa', { host: fqdn(host), policies }),
    setCname: (host, target) => post('/set-cname', { host: fqdn(host), target: fqdn(target) }),
    setServfail: (host) => post('/set-servfail', { host: fqdn(host) }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Zone data of a {@link memoryResolver}: per name and type, records or a failure kind. */
export interface MemoryZone {
  a?: Record<string, string[] | DnsFailureKind>;
  aaaa?: Record<string, string[] | DnsFailureKind>;
  txt?: Record<string, string[] | DnsFailureKind>;
  caa?: Record<string, CaaRecord[] | DnsFailureKind>;
  cname?: Record<string, string[] | DnsFailureKind>;
}

/** An in-memory resolver that counts its queries; absent names answer NXDOMAIN. */
export function memoryResolver(zone: MemoryZone): DnsResolver & { queries: string[] } {
  const queries: string[] = [];
  const answer = <T>(table: Record<string, T[] | DnsFailureKind> | undefined, name: string, type: 'A' | 'AAAA' | 'TXT' | 'CAA' | 'CNAME'): Promise<T[]> => {
    queries.push(`${type} ${name}`);
    const entry = table?.[name];
    if (entry === undefined) return Promise.reject(new DnsLookupError('nxdomain', name, type));
    if (typeof entry === 'string') return Promise.reject(new DnsLookupError(entry, name, type));
    return Promise.resolve([...entry]);
  };
  return {
    queries,
    resolveA: (name) => answer(zone.a, name, 'A'),
    resolveAaaa: (name) => answer(zone.aaaa, name, 'AAAA'),
    resolveTxt: (name) => answer(zone.txt, name, 'TXT'),
    resolveCaa: (name) => answer(zone.caa, name, 'CAA'),
    resolveCname: (name) => answer(zone.cname, name, 'CNAME'),
  };
}

/** A loopback HTTP server, with the requests it received. */
export interface TestHttpServer {
  readonly port: number;
  readonly host: string;
  readonly requests: { url: string; host: string | undefined; localAddress: string | undefined }[];
  close(): Promise<void>;
}

/** Starts an HTTP server on `host` (default 127.0.0.1) and a free port. */
export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<TestHttpServer> {
  const requests: TestHttpServer['requests'] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    requests.push({ url: req.url ?? '', host: req.headers.host, localAddress: req.socket.localAddress });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    host,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What goes into a tls-alpn-01 test certificate. */
export interface AcmeCertSpec {
  /** SAN entries (default: the identifier). */
  sans?: Identifier[];
  /** The acmeIdentifier extension: OID, criticality and the digest (default: critical, correct OID, SHA-256 of KEY_AUTHZ). */
  acmeExtension?: { oid?: string; critical?: boolean; digest?: Uint8Array; rawValue?: Der } | 'absent';
  /** Further extensions appended as they are. */
  extraExtensions?: Der[];
  /** Issuer name different from the subject (not self-signed). */
  foreignIssuer?: boolean;
  /** A whole subjectAltName extension replacing the one built from `sans`. */
  rawSan?: Der;
}

/** Builds a self-signed P-256 tls-alpn-01 certificate for `identifier`; returns PEM key and certificate. */
export async function buildAcmeCert(identifier: Identifier, spec: AcmeCertSpec = {}): Promise<{ key: string; cert: string; der: Uint8Array }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = softwareSignerFromKeyObject(privateKey);
  const subject = encodeName([{ type: 'CN', value: 'ACME challenge' }]);
  const issuer = spec.foreignIssuer === true ? encodeName([{ type: 'CN', value: 'Someone else' }]) : subject;
  const extensions: Der[] = [spec.rawSan ?? subjectAltNameExtension(spec.sans ?? [identifier], false)];
  if (spec.acmeExtension !== 'absent') {
    const ext = spec.acmeExtension ?? {};
    extensions.push(extension(ext.oid ?? '1.3.6.1.5.5.7.1.31', ext.critical ?? true, ext.rawValue ?? der.octetString(ext.digest ?? keyAuthorizationDigest(KEY_AUTHZ))));
  }
  extensions.push(...(spec.extraExtensions ?? []));
  const algorithm = algorithmIdentifierDer(signer.algorithm);
  const tbs = encodeTbs({
    serial: Uint8Array.of(0x01, 0x23, 0x45),
    signatureAlgorithm: algorithm,
    issuer,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    subject,
    spki: signer.publicKeySpki,
    extensions,
  });
  const certificate = await signTbs(tbs, algorithm, signer);
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: toPem(certificate, "CERTIFICATE"), der: certificate };
}

/** A raw SAN extension with arbitrary GeneralNames (for hostile certificates). */
export function rawSanExtension(names: Der[]): Der {
  return extension('2.5.29.17', false, der.sequence(...names));
}

/** A GeneralName of the given context tag (0x82 dNSName, 0x86 URI, 0x87 iPAddress) with raw content. */
export function generalName(tag: number, content: string | Uint8Array): Der {
  return der.tlv(tag, typeof content === 'string' ? new TextEncoder().encode(content) : content);
}

/** A loopback TLS server presenting `cert`, negotiating `alpn` (or no ALPN at all when undefined). */
export async function startTlsServer(material: { key: string; cert: string }, alpn: string[] | undefined, host = '127.0.0.1'): Promise<{ port: number; servernames: string[]; close(): Promise<void> }> {
  const servernames: string[] = [];
  const options = {
    key: material.key,
    cert: material.cert,
    SNICallback: (name: string, done: (err: Error | null) => void) => {
      servernames.push(name);
      done(null);
    },
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn }),
  };
  const server: TlsServer = createTlsServer(options, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { port, servernames, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
