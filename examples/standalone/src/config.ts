import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_DATABASE_TIMEOUT_MS } from '@certwright/core/sql';

/** The standalone CA's configuration after defaults and overrides. */
export interface StandaloneConfig {
  /** Folder holding the CA keys, certificates and (by default) the SQLite database. */
  dataDir: string;
  /** `sqlite:<path>` / a file path, `postgres://…` or `mysql://…`. */
  databaseUrl: string;
  /**
   * PostgreSQL/MariaDB: how long, in ms, the CA waits for a database
   * connection and for each statement's answer before the request fails
   * with 503 (`openSqlStore`'s `timeoutMs`; default 10 000).
   */
  databaseTimeoutMs: number;
  /**
   * Keep the issuing CA's key in a PKCS#11 token (an HSM, or SoftHSM) instead
   * of a file. The PIN is read from the environment variable `pinEnv` at each
   * login and never stored.
   */
  hsm?: HsmConfig;
  /** The ACME and status listeners, validation and CT (see docs/configuration.md). */
  server: ServerConfig;
  /** Subject common names for a CA created on first start. */
  ca: {
    rootCommonName: string;
    intermediateCommonName: string;
    organization: string;
    keyType: 'P-256' | 'P-384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';
    rootValidityDays: number;
    intermediateValidityDays: number;
  };
}

/** A TCP listen address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The running server's settings. */
export interface ServerConfig {
  /** Where the ACME API listens (HTTPS). */
  listen: ListenAddress;
  /** The ACME base URL clients see; the directory is `<externalUrl>/directory`. */
  externalUrl: string;
  /** Where OCSP, CRLs, `/metrics`, `/healthz` and `/readyz` listen (plain HTTP). */
  statusListen: ListenAddress;
  /** Base URL of the status listener as relying parties reach it; issued certificates point there (AIA OCSP, CRL DP). */
  statusBaseUrl: string;
  /** The port http-01 validation connects to (RFC 8555 §8.3). */
  http01Port: number;
  /** The port tls-alpn-01 validation connects to (RFC 8737 §3). */
  tlsAlpn01Port: number;
  /** DNS servers (`ip` or `ip:port`) asked during validation; empty: the host's configured servers. */
  dnsResolvers: string[];
  /** Let validation connect to private and loopback addresses. */
  allowPrivateNetworks: boolean;
  /** DNS suffixes the CA certifies names under; absent: every DNS name. */
  allowedDomains?: string[];
  /** CIDR ranges of IP identifiers the CA certifies (RFC 8738); empty: none. */
  allowedIpRanges: string[];
  /** Require External Account Binding on new accounts (RFC 8555 §7.3.4). */
  externalAccountRequired: boolean;
  /** Certificate Transparency: the path of the CT log list (JSON), when certificates are logged. */
  ctLogs?: CtLogsConfig;
}

/** The CT log list file: which logs, and how many SCTs each certificate needs. */
export interface CtLogsConfig {
  /** The setting it came from (`CERTWRIGHT_CT_LOGS` or `server.ctLogs`), for error messages. */
  field: string;
  path: string;
  required: number;
  logs: { url: string; publicKey: string; operator: string; name?: string; acceptedFrom?: Date; acceptedUntil?: Date }[];
}

/** Where the issuing CA's key lives when it is in a PKCS#11 token. */
export interface HsmConfig {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  modulePath: string;
  /** The token's label. */
  tokenLabel: string;
  /** The key's label (CKA_LABEL); generated on first start when missing. */
  keyLabel: string;
  /** Name of the environment variable holding the user PIN. */
  pinEnv: string;
}

/** A configuration error that names the offending field and where it came from. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`configuration: ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

const KEY_TYPES = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096'] as const;

function expectString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, 'must be a non-empty string');
  return value;
}

function expectPositiveInt(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new ConfigError(field, `must be a whole number from 1 to ${max}`);
  }
  return value;
}

function expectObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(field, 'must be an object');
  return value as Record<string, unknown>;
}

function rejectUnknown(obj: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new ConfigError(prefix + key, `unknown setting (known: ${known.join(', ')})`);
  }
}

/**
 * Reads the configuration: defaults, then the JSON file named by
 * `CERTWRIGHT_CONFIG` (or `<dataDir>/certwright.json` when it exists), then
 * environment overrides (`CERTWRIGHT_DATA_DIR`, `CERTWRIGHT_DATABASE_URL`,
 * `CERTWRIGHT_DATABASE_TIMEOUT_MS`).
 * Every invalid value is reported as a {@link ConfigError} naming its field.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string): StandaloneConfig {
  const dataDir = resolve(cwd, env['CERTWRIGHT_DATA_DIR'] ?? '.certwright');
  const explicitFile = env['CERTWRIGHT_CONFIG'];
  const file = explicitFile ? resolve(cwd, explicitFile) : join(dataDir, 'certwright.json');
  let fromFile: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (explicitFile) throw new ConfigError('CERTWRIGHT_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (text !== undefined) {
    try {
      fromFile = expectObject(JSON.parse(text), file);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(file, `not valid JSON: ${(err as Error).message}`);
    }
  }
  rejectUnknown(fromFile, ['databaseUrl', 'databaseTimeoutMs', 'ca', 'hsm', 'server'], '');
  const hsm = loadHsmConfig(env, fromFile['hsm']);
  const server = loadServerConfig(env, fromFile['server'], cwd);
  const caIn = fromFile['ca'] === undefined ? {} : expectObject(fromFile['ca'], 'ca');
  rejectUnknown(caIn, ['rootCommonName', 'intermediateCommonName', 'organization', 'keyType', 'rootValidityDays', 'intermediateValidityDays'], 'ca.');
  const keyType = caIn['keyType'] ?? 'P-256';
  if (!KEY_TYPES.includes(keyType as (typeof KEY_TYPES)[number])) {
    throw new ConfigError('ca.keyType', `must be one of ${KEY_TYPES.join(', ')}`);
  }
  const ca: StandaloneConfig['ca'] = {
    rootCommonName: expectString(caIn['rootCommonName'] ?? 'certwright Root CA', 'ca.rootCommonName'),
    intermediateCommonName: expectString(caIn['intermediateCommonName'] ?? 'certwright Issuing CA', 'ca.intermediateCommonName'),
    organization: expectString(caIn['organization'] ?? 'certwright internal CA', 'ca.organization'),
    keyType: keyType as StandaloneConfig['ca']['keyType'],
    rootValidityDays: expectPositiveInt(caIn['rootValidityDays'] ?? 3650, 'ca.rootValidityDays', 36500),
    intermediateValidityDays: expectPositiveInt(caIn['intermediateValidityDays'] ?? 1095, 'ca.intermediateValidityDays', 36500),
  };
  if (ca.intermediateValidityDays > ca.rootValidityDays) {
    throw new ConfigError('ca.intermediateValidityDays', 'must not exceed ca.rootValidityDays');
  }
  const rawUrl = env['CERTWRIGHT_DATABASE_URL'] ?? (fromFile['databaseUrl'] as unknown) ?? `sqlite:${join(dataDir, 'certwright.sqlite')}`;
  const databaseUrl = expectString(rawUrl, env['CERTWRIGHT_DATABASE_URL'] ? 'CERTWRIGHT_DATABASE_URL' : 'databaseUrl');
  if (!/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/.test(databaseUrl) && !isAbsolute(databaseUrl)) {
    throw new ConfigError(env['CERTWRIGHT_DATABASE_URL'] ? 'CERTWRIGHT_DATABASE_URL' : 'databaseUrl', 'must be sqlite:<path>, an absolute file path, postgres://… or mysql://…');
  }
  const timeoutEnv = env['CERTWRIGHT_DATABASE_TIMEOUT_MS'];
  const rawTimeout = timeoutEnv !== undefined ? (/^[0-9]{1,7}$/.test(timeoutEnv) ? Number(timeoutEnv) : timeoutEnv) : (fromFile['databaseTimeoutMs'] ?? DEFAULT_DATABASE_TIMEOUT_MS);
  const databaseTimeoutMs = expectPositiveInt(rawTimeout, timeoutEnv !== undefined ? 'CERTWRIGHT_DATABASE_TIMEOUT_MS' : 'databaseTimeoutMs', 600_000);
  rejectUnknownVariables(env, hsm?.pinEnv);
  return { dataDir, databaseUrl, databaseTimeoutMs, server, ca, ...(hsm === undefined ? {} : { hsm }) };
}

/** Every `CERTWRIGHT_*` variable the CA reads (docs/configuration.md, "Environment"). */
const KNOWN_VARIABLES = [
  'CERTWRIGHT_DATA_DIR', 'CERTWRIGHT_CONFIG', 'CERTWRIGHT_DATABASE_URL', 'CERTWRIGHT_DATABASE_TIMEOUT_MS',
  'CERTWRIGHT_HSM_MODULE', 'CERTWRIGHT_HSM_TOKEN', 'CERTWRIGHT_HSM_KEY_LABEL', 'CERTWRIGHT_HSM_PIN_ENV', 'CERTWRIGHT_HSM_PIN',
  'CERTWRIGHT_LISTEN', 'CERTWRIGHT_EXTERNAL_URL', 'CERTWRIGHT_STATUS_LISTEN', 'CERTWRIGHT_STATUS_BASE_URL',
  'CERTWRIGHT_HTTP01_PORT', 'CERTWRIGHT_TLSALPN01_PORT', 'CERTWRIGHT_DNS_RESOLVER', 'CERTWRIGHT_ALLOW_PRIVATE_NETWORKS',
  'CERTWRIGHT_ALLOWED_DOMAINS', 'CERTWRIGHT_ALLOWED_IP_RANGES', 'CERTWRIGHT_EAB_REQUIRED', 'CERTWRIGHT_CT_LOGS',
] as const;

/** Variables of the repository's test tooling, which share the prefix. */
const TOOLING_VARIABLE = /^CERTWRIGHT_(TEST_|SCHEMA_PREMIGRATED$)/;

/** The number of single-character edits between `a` and `b` (Levenshtein). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Refuses a `CERTWRIGHT_*` variable the CA does not read, naming the closest
 * known one: a misspelt variable would otherwise leave its setting at the
 * default without a word. The PIN variable named by `hsm.pinEnv` is allowed.
 */
function rejectUnknownVariables(env: NodeJS.ProcessEnv, pinEnv: string | undefined): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('CERTWRIGHT_') || (KNOWN_VARIABLES as readonly string[]).includes(name) || name === pinEnv || TOOLING_VARIABLE.test(name)) continue;
    const [closest, distance] = KNOWN_VARIABLES.map((known): [string, number] => [known, editDistance(name, known)]).reduce((best, next) => (next[1] < best[1] ? next : best));
    const hint = distance <= 3 ? `; did you mean ${closest}?` : '; the variables are listed in docs/configuration.md';
    throw new ConfigError(name, `unknown setting${hint}`);
  }
}

/**
 * HSM settings from the file's `hsm` object, overridden by
 * `CERTWRIGHT_HSM_MODULE`, `CERTWRIGHT_HSM_TOKEN`, `CERTWRIGHT_HSM_KEY_LABEL`
 * and `CERTWRIGHT_HSM_PIN_ENV`. Absent when neither names a module.
 */
function loadHsmConfig(env: NodeJS.ProcessEnv, raw: unknown): HsmConfig | undefined {
  const file = raw === undefined ? {} : expectObject(raw, 'hsm');
  rejectUnknown(file, ['modulePath', 'tokenLabel', 'keyLabel', 'pinEnv'], 'hsm.');
  const pick = (envName: string, key: string): { value: unknown; field: string } =>
    env[envName] !== undefined ? { value: env[envName], field: envName } : { value: file[key], field: `hsm.${key}` };
  const module = pick('CERTWRIGHT_HSM_MODULE', 'modulePath');
  if (module.value === undefined) {
    if (Object.keys(file).length > 0) throw new ConfigError('hsm.modulePath', 'is required when any hsm setting is given');
    return undefined;
  }
  const token = pick('CERTWRIGHT_HSM_TOKEN', 'tokenLabel');
  const key = pick('CERTWRIGHT_HSM_KEY_LABEL', 'keyLabel');
  const pinEnv = pick('CERTWRIGHT_HSM_PIN_ENV', 'pinEnv');
  const config: HsmConfig = {
    modulePath: expectString(module.value, module.field),
    tokenLabel: expectString(token.value, token.field),
    keyLabel: expectString(key.value ?? 'certwright-issuing-ca', key.field),
    pinEnv: expectString(pinEnv.value ?? 'CERTWRIGHT_HSM_PIN', pinEnv.field),
  };
  if (!isAbsolute(config.modulePath)) throw new ConfigError(module.field, 'must be an absolute path to the PKCS#11 module');
  return config;
}

type Source = { value: unknown; field: string };

/** The environment variable when set, else the file's `server.<key>`. */
function picker(env: NodeJS.ProcessEnv, file: Record<string, unknown>) {
  return (envName: string, key: string): Source => (env[envName] !== undefined ? { value: env[envName], field: envName } : { value: file[key], field: `server.${key}` });
}

/** `host:port`, `[ipv6]:port`; the host may be a name or an IP address. */
export function parseListen(text: unknown, field: string): ListenAddress {
  const value = expectString(text, field);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):([0-9]{1,5})$/.exec(value);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 1 && port <= 65535)) throw new ConfigError(field, `must be host:port or [ipv6]:port with a port from 1 to 65535, got ${JSON.stringify(value)}`);
  return { host: m[1] ?? m[2]!, port };
}

function parsePort(source: Source, fallback: number): number {
  if (source.value === undefined) return fallback;
  const n = typeof source.value === 'string' && /^[0-9]{1,5}$/.test(source.value) ? Number(source.value) : source.value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(source.field, 'must be a TCP port from 1 to 65535');
  return n;
}

function parseBoolean(source: Source, fallback: boolean): boolean {
  if (source.value === undefined) return fallback;
  if (source.value === true || source.value === 'true') return true;
  if (source.value === false || source.value === 'false') return false;
  throw new ConfigError(source.field, 'must be true or false');
}

/** A list from a comma-separated variable or a JSON array of strings. */
function parseList(source: Source): string[] | undefined {
  if (source.value === undefined) return undefined;
  const items = typeof source.value === 'string' ? source.value.split(',').map((s) => s.trim()).filter((s) => s !== '') : source.value;
  if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== 'string' || i.trim() === '')) {
    throw new ConfigError(source.field, 'must be a comma-separated list (or a JSON array) of at least one non-empty string');
  }
  return items as string[];
}

function parseBaseUrl(source: Source, scheme: 'https:' | 'http:' | 'http(s):'): string | undefined {
  if (source.value === undefined) return undefined;
  const text = expectString(source.value, source.field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(source.field, `must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  const okScheme = scheme === 'http(s):' ? url.protocol === 'http:' || url.protocol === 'https:' : url.protocol === scheme;
  if (!okScheme) throw new ConfigError(source.field, `must be an ${scheme.replace(':', '')} URL`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new ConfigError(source.field, 'must not carry a query, fragment or credentials');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The URL host for a listen address: wildcard addresses become `localhost`, IPv6 gets brackets. */
function urlHost(listen: ListenAddress): string {
  if (listen.host === '0.0.0.0' || listen.host === '::') return 'localhost';
  return listen.host.includes(':') ? `[${listen.host}]` : listen.host;
}

/**
 * Server settings from the file's `server` object, overridden by the
 * `CERTWRIGHT_*` variables documented in docs/configuration.md.
 */
function loadServerConfig(env: NodeJS.ProcessEnv, raw: unknown, cwd: string): ServerConfig {
  const file = raw === undefined ? {} : expectObject(raw, 'server');
  rejectUnknown(
    file,
    ['listen', 'externalUrl', 'statusListen', 'statusBaseUrl', 'http01Port', 'tlsAlpn01Port', 'dnsResolvers', 'allowPrivateNetworks', 'allowedDomains', 'allowedIpRanges', 'externalAccountRequired', 'ctLogs'],
    'server.',
  );
  const pick = picker(env, file);
  const listenSource = pick('CERTWRIGHT_LISTEN', 'listen');
  const listen = parseListen(listenSource.value ?? '127.0.0.1:14000', listenSource.field);
  const statusSource = pick('CERTWRIGHT_STATUS_LISTEN', 'statusListen');
  const statusListen = parseListen(statusSource.value ?? '127.0.0.1:14080', statusSource.field);
  const externalUrl = parseBaseUrl(pick('CERTWRIGHT_EXTERNAL_URL', 'externalUrl'), 'https:') ?? `https://${urlHost(listen)}:${listen.port}`;
  const statusBaseUrl = parseBaseUrl(pick('CERTWRIGHT_STATUS_BASE_URL', 'statusBaseUrl'), 'http(s):') ?? `http://${urlHost(statusListen)}:${statusListen.port}`;
  const resolverSource = pick('CERTWRIGHT_DNS_RESOLVER', 'dnsResolvers');
  const dnsResolvers = parseList(resolverSource) ?? [];
  for (const entry of dnsResolvers) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9A-Fa-f:.]+\]:\d{1,5}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/.test(entry)) {
      throw new ConfigError(resolverSource.field, `${JSON.stringify(entry)} is not an IP address with an optional port`);
    }
  }
  const domainsSource = pick('CERTWRIGHT_ALLOWED_DOMAINS', 'allowedDomains');
  const allowedDomains = parseList(domainsSource);
  const rangesSource = pick('CERTWRIGHT_ALLOWED_IP_RANGES', 'allowedIpRanges');
  const allowedIpRanges = parseList(rangesSource) ?? [];
  for (const range of allowedIpRanges) {
    if (!/^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/.test(range)) throw new ConfigError(rangesSource.field, `${JSON.stringify(range)} is not a CIDR range such as 10.0.0.0/8`);
  }
  const ctSource = pick('CERTWRIGHT_CT_LOGS', 'ctLogs');
  const ctLogs = ctSource.value === undefined ? undefined : loadCtLogs(resolve(cwd, expectString(ctSource.value, ctSource.field)), ctSource.field);
  return {
    listen,
    externalUrl,
    statusListen,
    statusBaseUrl,
    http01Port: parsePort(pick('CERTWRIGHT_HTTP01_PORT', 'http01Port'), 80),
    tlsAlpn01Port: parsePort(pick('CERTWRIGHT_TLSALPN01_PORT', 'tlsAlpn01Port'), 443),
    dnsResolvers,
    allowPrivateNetworks: parseBoolean(pick('CERTWRIGHT_ALLOW_PRIVATE_NETWORKS', 'allowPrivateNetworks'), false),
    ...(allowedDomains === undefined ? {} : { allowedDomains }),
    allowedIpRanges,
    externalAccountRequired: parseBoolean(pick('CERTWRIGHT_EAB_REQUIRED', 'externalAccountRequired'), false),
    ...(ctLogs === undefined ? {} : { ctLogs }),
  };
}

/**
 * Reads the CT log list: `{ "required": 2, "logs": [{ "url", "publicKey"
 * (PEM), "operator", "name"?, "acceptedFrom"?, "acceptedUntil"? (ISO dates) }] }`.
 * Errors name the file's field, e.g. `CERTWRIGHT_CT_LOGS: logs[1].url`.
 */
function loadCtLogs(path: string, field: string): CtLogsConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(field, `cannot read the CT log list ${path}: ${(err as Error).message}`);
  }
  const top = expectObject(parsed, `${field}: ${path}`);
  rejectUnknown(top, ['required', 'logs'], `${field}: `);
  if (!Array.isArray(top['logs']) || top['logs'].length === 0) throw new ConfigError(`${field}: logs`, 'must be a non-empty array');
  const logs = top['logs'].map((entry: unknown, i: number) => {
    const at = `${field}: logs[${i}].`;
    const log = expectObject(entry, `${field}: logs[${i}]`);
    rejectUnknown(log, ['url', 'publicKey', 'operator', 'name', 'acceptedFrom', 'acceptedUntil'], at);
    const date = (key: string): Date | undefined => {
      if (log[key] === undefined) return undefined;
      const d = new Date(expectString(log[key], at + key));
      if (Number.isNaN(d.getTime())) throw new ConfigError(at + key, 'must be an ISO 8601 date');
      return d;
    };
    const from = date('acceptedFrom');
    const until = date('acceptedUntil');
    return {
      url: expectString(log['url'], at + 'url'),
      publicKey: expectString(log['publicKey'], at + 'publicKey'),
      operator: expectString(log['operator'], at + 'operator'),
      ...(log['name'] === undefined ? {} : { name: expectString(log['name'], at + 'name') }),
      ...(from === undefined ? {} : { acceptedFrom: from }),
      ...(until === undefined ? {} : { acceptedUntil: until }),
    };
  });
  const required = expectPositiveInt(top['required'] ?? 1, `${field}: required`, 100);
  if (required > logs.length) {
    throw new ConfigError(`${field}: required`, `asks for ${required} SCTs from distinct operators, but the list has only ${logs.length} log${logs.length === 1 ? '' : 's'}; add logs or lower required`);
  }
  return { field, path, required, logs };
}

/** The database URL with any password masked, for printing. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
