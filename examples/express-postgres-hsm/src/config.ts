/**
 * The example's settings, all from environment variables (README.md lists
 * them). Reading them is the only place that looks at `process.env`.
 * @module
 */
import { getServers } from 'node:dns';

/** Everything the app is configured with. */
export interface AppConfig {
  /** Where the Express app listens (`LISTEN`, default 127.0.0.1:3000). */
  readonly listen: { readonly host: string; readonly port: number };
  /** The origin clients use (`PUBLIC_URL`); the ACME base URL is `<PUBLIC_URL>/acme`, OCSP `<PUBLIC_URL>/ocsp/`. */
  readonly publicUrl: string;
  /** `DATABASE_URL`: a `postgres://` URL. */
  readonly databaseUrl: string;
  /** `DATA_DIR`: root certificate and key, issuing CA certificate. */
  readonly dataDir: string;
  readonly hsm: {
    /** `HSM_MODULE`: path of the PKCS#11 library. */
    readonly modulePath: string;
    /** `HSM_TOKEN_LABEL`. */
    readonly tokenLabel: string;
    /** `HSM_KEY_LABEL` (default `issuing-ca`). */
    readonly keyLabel: string;
    /** The name of the variable holding the user PIN (always `HSM_PIN`); the PIN itself is read by the signer. */
    readonly pinEnv: string;
  };
  readonly validation: {
    /** `HTTP01_PORT` (default 80, RFC 8555 §8.3). */
    readonly http01Port: number;
    /** `VALIDATION_ALLOWED_RANGES`: CIDR ranges validation may connect to although private (comma-separated). */
    readonly allowedRanges: readonly string[];
    /** `DNS_RESOLVERS` (comma-separated), default the host's. */
    readonly dnsResolvers: readonly string[];
  };
  /** `ALLOWED_DOMAINS`: DNS suffixes certified (comma-separated); unset: every name. */
  readonly allowedDomains: readonly string[] | undefined;
  /** `ALLOWED_IP_RANGES`: CIDR ranges whose IP addresses are certified (RFC 8738); default none. */
  readonly allowedIpRanges: readonly string[];
}

/** A missing or malformed setting, naming the variable. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') throw new ConfigError(name, 'is required (see README.md)');
  return value;
}

function list(env: Env, name: string): string[] | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return undefined;
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function port(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(name, `"${text}" is not a TCP port (1-65535)`);
  return n;
}

function hostPort(name: string, text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  if (at <= 0) throw new ConfigError(name, `"${text}" is not host:port`);
  return { host: text.slice(0, at).replace(/^\[|\]$/g, ''), port: port(name, text.slice(at + 1)) };
}

/** Reads and checks the configuration; throws {@link ConfigError} naming the first bad variable. */
export function readConfig(env: Env): AppConfig {
  const publicUrl = required(env, 'PUBLIC_URL').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(publicUrl)) throw new ConfigError('PUBLIC_URL', `"${publicUrl}" must be an origin such as https://ca.corp.example (no path)`);
  const databaseUrl = required(env, 'DATABASE_URL');
  if (!databaseUrl.startsWith('postgres://') && !databaseUrl.startsWith('postgresql://')) throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  const dnsResolvers = list(env, 'DNS_RESOLVERS') ?? getServers();
  if (dnsResolvers.length === 0) throw new ConfigError('DNS_RESOLVERS', 'the host has no DNS server configured; set one');
  return {
    listen: hostPort('LISTEN', env['LISTEN']?.trim() || '127.0.0.1:3000'),
    publicUrl,
    databaseUrl,
    dataDir: required(env, 'DATA_DIR'),
    hsm: {
      modulePath: required(env, 'HSM_MODULE'),
      tokenLabel: required(env, 'HSM_TOKEN_LABEL'),
      keyLabel: env['HSM_KEY_LABEL']?.trim() || 'issuing-ca',
      pinEnv: (required(env, 'HSM_PIN'), 'HSM_PIN'),
    },
    validation: {
      http01Port: port('HTTP01_PORT', env['HTTP01_PORT']?.trim() || '80'),
      allowedRanges: list(env, 'VALIDATION_ALLOWED_RANGES') ?? [],
      dnsResolvers,
    },
    allowedDomains: list(env, 'ALLOWED_DOMAINS'),
    allowedIpRanges: list(env, 'ALLOWED_IP_RANGES') ?? [],
  };
}
