import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

/*
 * The README's start command runs examples/standalone/dist/main.js (built by
 * `pnpm start` / `pnpm test`). These tests run that built program the way a
 * newcomer does, in a fresh data directory.
 */
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dirs: string[] = [];
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'certwright-start-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function start(dataDir: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [main], { encoding: 'utf8', env: { ...process.env, CERTWRIGHT_DATA_DIR: dataDir, ...env }, timeout: 60_000 });
}

function openssl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

describe('pnpm start (examples/standalone)', () => {
  it('creates a root and an issuing CA on first start, and keeps them across restarts', () => {
    const dir = freshDir();
    const first = start(dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('(created now)');
    expect(first.stdout).toContain('schema version 1');
    expect(first.stdout).toContain('nothing is listening');
    const fingerprint = /root SHA-256:\s+([0-9A-F:]+)/.exec(first.stdout)?.[1];
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(openssl(['x509', '-in', join(dir, 'root.pem'), '-noout', '-fingerprint', '-sha256']).out.trim()).toContain(fingerprint);
    expect(statSync(join(dir, 'root-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'intermediate-key.pem')).mode & 0o777).toBe(0o600);

    // The issuing CA chains to the root (its file holds the intermediate, then the root).
    const pem = readFileSync(join(dir, 'intermediate.pem'), 'utf8');
    writeFileSync(join(dir, 'only-intermediate.pem'), pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 26));
    const verified = openssl(['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), join(dir, 'only-intermediate.pem')]);
    expect(verified.out).toContain(': OK');

    const second = start(dir);
    expect(second.status).toBe(0);
    expect(second.stdout).not.toContain('created now');
    expect(second.stdout).toContain(fingerprint);
  });

  it('refuses a data directory holding only part of a CA instead of replacing it', () => {
    const dir = freshDir();
    expect(start(dir).status).toBe(0);
    unlinkSync(join(dir, 'intermediate-key.pem'));
    const again = start(dir);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('holds only part of a CA');
    expect(again.stderr).toContain('restore the missing files');
  });

  it('reports a bad configuration naming the field', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify({ ca: { keyType: 'DSA-1024' } }));
    const run = start(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('ca.keyType');
    expect(run.stderr).toContain('must be one of');
  });
});

describe('configuration', () => {
  it('applies defaults, the file and environment overrides', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify({ ca: { organization: 'Example Corp', rootValidityDays: 7300 } }));
    const config = loadConfig({ CERTWRIGHT_DATA_DIR: dir, CERTWRIGHT_DATABASE_URL: 'postgres://ca@db.internal/certwright' }, '/');
    expect(config.dataDir).toBe(dir);
    expect(config.databaseUrl).toBe('postgres://ca@db.internal/certwright');
    expect(config.ca.organization).toBe('Example Corp');
    expect(config.ca.rootValidityDays).toBe(7300);
    expect(config.ca.keyType).toBe('P-256');
    expect(loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/').databaseUrl).toBe(`sqlite:${join(dir, 'certwright.sqlite')}`);
  });

  it.each([
    [{ unknownSetting: 1 }, 'unknownSetting', 'unknown setting'],
    [{ ca: { rootValidityDays: -1 } }, 'ca.rootValidityDays', 'whole number'],
    [{ ca: { rootValidityDays: 10, intermediateValidityDays: 20 } }, 'ca.intermediateValidityDays', 'must not exceed'],
    [{ ca: { rootCommonName: '' } }, 'ca.rootCommonName', 'non-empty'],
    [{ databaseUrl: 'relative/path.db' }, 'databaseUrl', 'sqlite:'],
  ])('rejects %j naming %s', (file, field, message) => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), JSON.stringify(file));
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/')).toThrow(new RegExp(`${field.replace('.', '\\.')}: .*${message}`));
  });

  it('rejects a config file that is not JSON, and a missing explicit config file', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'certwright.json'), '{ not json');
    expect(() => loadConfig({ CERTWRIGHT_DATA_DIR: dir }, '/')).toThrow(/not valid JSON/);
    expect(() => loadConfig({ CERTWRIGHT_CONFIG: join(dir, 'missing.json') }, '/')).toThrow(/CERTWRIGHT_CONFIG: cannot read/);
  });
});
