import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cryptoRandom, systemClock } from '@certwright/core';
import { ConfigError, readConfig } from '../src/config.js';
import { openHierarchy } from '../src/hierarchy.js';

/* The example's configuration checks and its refusal of a half-present CA, without PostgreSQL or a token. */
const valid = {
  PUBLIC_URL: 'https://ca.corp.example/',
  DATABASE_URL: 'postgres://ca@db.corp.example/ca',
  DATA_DIR: '/var/lib/ca',
  HSM_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
  HSM_TOKEN_LABEL: 'ca',
  HSM_PIN: '1234',
  DNS_RESOLVERS: '10.0.0.53',
};

function rejection(env: Record<string, string | undefined>): ConfigError {
  try {
    readConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('readConfig accepted the configuration');
}

describe('readConfig', () => {
  it('reads a complete configuration with the defaults', () => {
    const config = readConfig({ ...valid, VALIDATION_ALLOWED_RANGES: '10.0.0.0/8, fd00::/8', ALLOWED_IP_RANGES: '127.0.0.1/32' });
    expect(config.publicUrl).toBe('https://ca.corp.example');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.hsm).toEqual({ modulePath: valid.HSM_MODULE, tokenLabel: 'ca', keyLabel: 'issuing-ca', pinEnv: 'HSM_PIN' });
    expect(config.validation).toEqual({ http01Port: 80, allowedRanges: ['10.0.0.0/8', 'fd00::/8'], dnsResolvers: ['10.0.0.53'] });
    expect(config.allowedDomains).toBeUndefined();
    expect(config.allowedIpRanges).toEqual(['127.0.0.1/32']);
    expect(readConfig({ ...valid, LISTEN: '[::1]:8443' }).listen).toEqual({ host: '::1', port: 8443 });
  });

  it.each([
    ['PUBLIC_URL', { PUBLIC_URL: undefined }, 'is required'],
    ['PUBLIC_URL', { PUBLIC_URL: 'https://ca.corp.example/acme' }, 'must be an origin'],
    ['DATABASE_URL', { DATABASE_URL: 'sqlite::memory:' }, 'must be a postgres:// URL'],
    ['DATA_DIR', { DATA_DIR: '' }, 'is required'],
    ['HSM_PIN', { HSM_PIN: undefined }, 'is required'],
    ['HTTP01_PORT', { HTTP01_PORT: '70000' }, 'is not a TCP port'],
    ['LISTEN', { LISTEN: '3000' }, 'is not host:port'],
  ])('refuses a bad %s', (variable, change, problem) => {
    const err = rejection({ ...valid, ...change });
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toContain(problem);
  });
});

describe('the hierarchy and the program', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-express-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a data directory holding only part of a CA, naming the files', async () => {
    writeFileSync(join(dir, 'root.pem'), 'x');
    const config = readConfig({ ...valid, DATA_DIR: dir });
    await expect(openHierarchy(config, systemClock(), cryptoRandom())).rejects.toThrow(/holds only part of a CA \(.*root\.pem\)/);
  });

  it('exits 1 naming the missing variable', () => {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const run = spawnSync(process.execPath, [main], { env: { PATH: process.env['PATH'] }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('error: PUBLIC_URL: is required (see README.md)');
  });
});
