/**
 * Test fixture: a private SoftHSM2 installation per test file — its own
 * config file and token directory under a fresh temporary directory,
 * pointed at by SOFTHSM2_CONF before the module is loaded, so tests never
 * touch a system token and files can run in parallel.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPkcs11Module, type Pkcs11Module } from '../src/index.js';

const run = promisify(execFile);

const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

/** The SoftHSM2 module path (SOFTHSM2_MODULE overrides); throws when SoftHSM2 is not installed. */
export function softHsmModulePath(): string {
  const candidates = process.env['SOFTHSM2_MODULE'] ? [process.env['SOFTHSM2_MODULE']] : MODULE_CANDIDATES;
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`SoftHSM2 is not installed (looked for ${candidates.join(', ')}); apt-get install softhsm2`);
  return found;
}

/** A token of the fixture. */
export interface FixtureToken {
  label: string;
  pin: string;
  soPin: string;
}

/** A private SoftHSM2 with initialised tokens and the module loaded. */
export interface SoftHsm {
  dir: string;
  modulePath: string;
  module: Pkcs11Module;
  tokens: Record<string, FixtureToken>;
  cleanup(): Promise<void>;
}

/** Writes a SoftHSM2 config under `dir`, sets SOFTHSM2_CONF, and initialises the tokens with softhsm2-util. */
export async function prepareSoftHsm(dir: string, labels: readonly string[]): Promise<Record<string, FixtureToken>> {
  const tokenDir = join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env['SOFTHSM2_CONF'] = conf;
  const tokens: Record<string, FixtureToken> = {};
  for (const [i, label] of labels.entries()) {
    const token = { label, pin: `user-pin-${i}-${label}`, soPin: `so-pin-${i}` };
    await run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', token.pin, '--so-pin', token.soPin], {
      env: { ...process.env, SOFTHSM2_CONF: conf },
    });
    tokens[label] = token;
  }
  return tokens;
}

/** Creates the private SoftHSM2 with tokens `labels` and loads the module once for the whole file. */
export async function createSoftHsm(labels: readonly string[]): Promise<SoftHsm> {
  const modulePath = softHsmModulePath();
  const dir = await mkdtemp(join(tmpdir(), 'certwright-hsm-'));
  const tokens = await prepareSoftHsm(dir, labels);
  const module = loadPkcs11Module(modulePath);
  return {
    dir,
    modulePath,
    module,
    tokens,
    async cleanup() {
      module.finalize();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
