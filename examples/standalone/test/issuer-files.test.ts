import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAddedIssuers } from '../src/issuer-files.js';

/*
 * The folders under issuers/ that `serve` refuses before touching any key:
 * an issuer's key must be exactly one of key.pem and hsm-key (a token key
 * label), and a token key needs an HSM to be configured.
 */
describe('loading issuers/', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'certwright-issuer-files-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** An issuer folder holding `files`. */
  function folder(id: string, files: Record<string, string>): string {
    const dir = join(dataDir, 'issuers', id);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('refuses a folder naming a token key when no HSM is configured, naming the folder, the label and the settings', async () => {
    const dir = folder('a1b2', { 'cert.pem': 'unread', 'hsm-key': 'issuing-ca-P-256-20261127052400\n', status: 'retired\n' });
    await expect(loadAddedIssuers(dataDir, undefined)).rejects.toThrow(
      `${dir} keeps its issuing key on a PKCS#11 token (key "issuing-ca-P-256-20261127052400" in hsm-key), but no HSM is configured: set CERTWRIGHT_HSM_MODULE`,
    );
  });

  it('refuses a certificate with neither a key file nor a token key, and one with both', async () => {
    const bare = folder('c3d4', { 'cert.pem': 'unread' });
    await expect(loadAddedIssuers(dataDir, undefined)).rejects.toThrow(`${bare} holds cert.pem without key.pem or hsm-key`);
    const both = folder('c3d4', { 'key.pem': 'unread', 'hsm-key': 'k1\n' });
    await expect(loadAddedIssuers(dataDir, undefined)).rejects.toThrow(`${both} holds both key.pem and hsm-key (token key "k1")`);
  });

  it('refuses an empty hsm-key file', async () => {
    const dir = folder('e5f6', { 'cert.pem': 'unread', 'hsm-key': '\n' });
    await expect(loadAddedIssuers(dataDir, undefined)).rejects.toThrow(`${join(dir, 'hsm-key')} must hold one line, the label of the issuing key on the PKCS#11 token`);
  });

  it('skips the first issuing CA\'s status-only folder and the .new- folder of an `issuer add` that did not finish', async () => {
    folder('0a0b', { status: 'retired\n' });
    folder('.new-1c1d', { 'hsm-key': 'half-made\n', 'cert.pem': 'unread' });
    await expect(loadAddedIssuers(dataDir, undefined)).resolves.toEqual([]);
  });
});
