import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** The standalone CA's configuration after defaults and overrides. */
export interface StandaloneConfig {
  /** Folder holding the CA keys, certificates and (by default) the SQLite database. */
  dataDir: string;
  /** `sqlite:<path>` / a file path, `postgres://…` or `mysql://…`. */
  databaseUrl: string;
  /**
   * Keep the issuing CA's key in a PKCS#11 token (an HSM, or SoftHSM) instead
   * of a file. The PIN is read from the environment variable `pinEnv` at each
   * login and never stored.
   */
  hsm?: HsmConfig;
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
 * environment overrides (`CERTWRIGHT_DATA_DIR`, `CERTWRIGHT_DATABASE_URL`).
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
  rejectUnknown(fromFile, ['databaseUrl', 'ca', 'hsm'], '');
  const hsm = loadHsmConfig(env, fromFile['hsm']);
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
  return { dataDir, databaseUrl, ca, ...(hsm === undefined ? {} : { hsm }) };
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
