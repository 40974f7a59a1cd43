import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { memoryLogger, verifySignature } from '@certwright/core';
import { createPkcs11Signer, findSlot, isHsmError, openHsmToken, type HsmToken, type Pkcs11Signer, type Pkcs11SignerOptions } from '../src/index.js';
import { createSoftHsm, type SoftHsm } from './softhsm.js';

let hsm: SoftHsm;
let token: HsmToken;
const open: Pkcs11Signer[] = [];
const restore: (() => void)[] = [];

beforeAll(async () => {
  hsm = await createSoftHsm(['pool']);
  const t = hsm.tokens['pool']!;
  token = await openHsmToken({ module: hsm.module, token: { label: t.label }, pin: t.pin });
  await token.generateKeyPair({ keyType: 'P-256', label: 'issuer', id: 'a1' });
  await token.generateKeyPair({ keyType: 'P-256', label: 'doomed', id: 'a2' });
});

afterEach(async () => {
  for (const undo of restore.splice(0)) undo();
  for (const signer of open.splice(0)) await signer.close();
});

afterAll(async () => {
  await token.close();
  await hsm.cleanup();
});

async function signer(options: Partial<Pkcs11SignerOptions> = {}): Promise<Pkcs11Signer> {
  const t = hsm.tokens['pool']!;
  const s = await createPkcs11Signer({ module: hsm.module, token: { label: t.label }, pin: t.pin, key: { label: 'issuer' }, poolSize: 4, ...options } as Pkcs11SignerOptions);
  open.push(s);
  return s;
}

const pkcs11 = () => hsm.module.pkcs11;
const slot = () => findSlot(pkcs11(), { label: 'pool' });
const data = (i: number) => new TextEncoder().encode(`message ${i}`);

/** Replaces C_SignAsync on the shared binding for one test. */
function patchSign(replacement: (original: typeof pkcs11js.PKCS11.prototype.C_SignAsync, ...args: Parameters<typeof pkcs11js.PKCS11.prototype.C_SignAsync>) => Promise<Buffer>): void {
  const p = pkcs11();
  const original = p.C_SignAsync.bind(p);
  p.C_SignAsync = (...args) => replacement(original, ...args);
  restore.push(() => {
    p.C_SignAsync = original;
  });
}

function pkcs11Error(name: string, code: number): Error {
  return new pkcs11js.Pkcs11Error(`${name}:${code}`, code);
}

async function expectValid(s: Pkcs11Signer, i: number, signature: Uint8Array): Promise<void> {
  expect(await verifySignature(s.publicKeySpki, s.algorithm, data(i), signature)).toBe(true);
}

describe('session pool', () => {
  it('produces 200 concurrent signatures through 4 sessions, all valid', async () => {
    const s = await signer({ poolSize: 4 });
    const signatures = await Promise.all(Array.from({ length: 200 }, (_, i) => s.sign(data(i))));
    for (const [i, signature] of signatures.entries()) await expectValid(s, i, signature);
    expect(s.diagnostics().openSessions).toBe(4);
    expect(s.diagnostics().queued).toBe(0);
  });

  it('logs in once for the whole pool (login is per application)', async () => {
    let pinReads = 0;
    const t = hsm.tokens['pool']!;
    pkcs11().C_CloseAllSessions(slot());
    const s = await signer({ poolSize: 4, pin: async () => (pinReads++, t.pin) });
    await s.sign(data(0));
    expect(pinReads).toBe(1);
  });
});

describe('recovery', () => {
  it('recovers a session closed behind the pool (C_CloseSession) and the sign succeeds', async () => {
    const s = await signer({ poolSize: 1 });
    await s.sign(data(0));
    const [session] = s.diagnostics().idleSessions;
    pkcs11().C_CloseSession(session!);
    await expectValid(s, 1, await s.sign(data(1)));
    expect(s.diagnostics().recoveries).toBe(1);
  });

  it('recovers from C_CloseAllSessions (sessions and login gone): re-opens, logs in again, signs', async () => {
    let pinReads = 0;
    const t = hsm.tokens['pool']!;
    const logger = memoryLogger();
    const s = await signer({ poolSize: 4, pin: async () => (pinReads++, t.pin), logger });
    pkcs11().C_CloseAllSessions(slot());
    const signatures = await Promise.all(Array.from({ length: 16 }, (_, i) => s.sign(data(i))));
    for (const [i, signature] of signatures.entries()) await expectValid(s, i, signature);
    expect(pinReads).toBe(2);
    expect(s.diagnostics().recoveries).toBe(1);
    const started = logger.events.find((e) => e.event === 'hsm.recovery.started');
    expect(started).toMatchObject({ level: 'warn', returnCode: 'CKR_SESSION_HANDLE_INVALID', scope: 'session' });
  });

  // Closing a session while a C_Sign runs on it in another thread (pkcs11js
  // runs C_SignAsync on a libuv worker) crashes SoftHSM 2.6: C_CloseAllSessions
  // frees the session's key and crypto objects under the running C_Sign
  // (SIGSEGV in ecdsa_sign_setup, or glibc aborting on a corrupted heap), so
  // closing at a random moment killed the test process now and then under
  // load. A conforming token answers such a call with CKR_SESSION_CLOSED
  // ("closed during the execution of the function"). So the sessions are
  // closed while every pooled session is held between C_SignInit and C_Sign —
  // busy for the pool, no thread inside the library — and the first held call
  // gets the answer a conforming token gives; the others reach SoftHSM with a
  // handle it no longer knows (CKR_SESSION_HANDLE_INVALID).
  it('recovers from C_CloseAllSessions while signatures are in flight', async () => {
    const logger = memoryLogger();
    const s = await signer({ poolSize: 4, logger });
    let passThrough = 8;
    let held = 0;
    let everyHeld!: () => void;
    const allHeld = new Promise<void>((resolve) => (everyHeld = resolve));
    let reopen!: () => void;
    const closed = new Promise<void>((resolve) => (reopen = resolve));
    let answeredClosed = 0;
    patchSign(async (original, ...args) => {
      if (passThrough > 0 || held >= 4) return (passThrough--, original(...args));
      const index = held++;
      if (held === 4) everyHeld();
      await closed;
      if (index === 0) {
        answeredClosed++;
        throw pkcs11Error('CKR_SESSION_CLOSED', 0xb0);
      }
      return original(...args);
    });
    const pending = Array.from({ length: 60 }, (_, i) => s.sign(data(i)));
    await allHeld;
    // Every session of the pool is held, so no C_Sign is running natively.
    expect(s.diagnostics()).toMatchObject({ openSessions: 4, queued: 60 - 8 - 4 });
    pkcs11().C_CloseAllSessions(slot());
    reopen();
    const signatures = await Promise.all(pending);
    for (const [i, signature] of signatures.entries()) await expectValid(s, i, signature);
    expect(answeredClosed).toBe(1);
    expect(s.diagnostics()).toMatchObject({ recoveries: 1, openSessions: 4, queued: 0 });
    const started = logger.events.filter((e) => e.event === 'hsm.recovery.started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ scope: 'session' });
    expect(['CKR_SESSION_CLOSED', 'CKR_SESSION_HANDLE_INVALID']).toContain(started[0]?.['returnCode']);
  });

  it('recovers from C_Logout behind the pool: logs in again and re-finds the key handle', async () => {
    const logger = memoryLogger();
    const s = await signer({ poolSize: 2, logger });
    await s.sign(data(0));
    pkcs11().C_Logout(s.diagnostics().idleSessions[0]!);
    await expectValid(s, 1, await s.sign(data(1)));
    const started = logger.events.find((e) => e.event === 'hsm.recovery.started');
    expect(['CKR_USER_NOT_LOGGED_IN', 'CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID']).toContain(started?.['returnCode']);
    expect(logger.events.some((e) => e.event === 'hsm.recovery.succeeded')).toBe(true);
  });

  it('recovers from a device error (CKR_DEVICE_ERROR) by resetting the pool and retries once', async () => {
    const s = await signer({ poolSize: 2 });
    const before = new Set(s.diagnostics().idleSessions.map((h) => h.toString('hex')));
    let failures = 1;
    patchSign((original, ...args) => (failures-- > 0 ? Promise.reject(pkcs11Error('CKR_DEVICE_ERROR', 0x30)) : original(...args)));
    await expectValid(s, 0, await s.sign(data(0)));
    expect(s.diagnostics().recoveries).toBe(1);
    const after = s.diagnostics().idleSessions.map((h) => h.toString('hex'));
    expect(after.length).toBeGreaterThan(0);
    expect(after.some((h) => before.has(h))).toBe(false);
  });

  it('fails with an error naming the return code when the retry after recovery fails too', async () => {
    const logger = memoryLogger();
    const s = await signer({ poolSize: 2, logger });
    let calls = 0;
    patchSign(() => (calls++, Promise.reject(pkcs11Error('CKR_DEVICE_ERROR', 0x30))));
    const err = await s.sign(data(0)).catch((e: unknown) => e);
    expect(isHsmError(err, 'pkcs11Failed')).toBe(true);
    expect((err as { returnCode?: string }).returnCode).toBe('CKR_DEVICE_ERROR');
    expect((err as Error).message).toMatch(/CKR_DEVICE_ERROR after recovery/);
    expect((err as Error).message).toContain('label "issuer"');
    expect(calls).toBe(2);
    expect(logger.events.find((e) => e.event === 'hsm.sign.failed')).toMatchObject({ level: 'error', returnCode: 'CKR_DEVICE_ERROR' });
  });

  it('does not retry an error recovery cannot fix (CKR_DATA_LEN_RANGE), and names it', async () => {
    const s = await signer({ poolSize: 2 });
    let calls = 0;
    patchSign(() => (calls++, Promise.reject(pkcs11Error('CKR_DATA_LEN_RANGE', 0x21))));
    const err = await s.sign(data(0)).catch((e: unknown) => e);
    expect(isHsmError(err, 'pkcs11Failed')).toBe(true);
    expect((err as Error).message).toContain('CKR_DATA_LEN_RANGE');
    expect(calls).toBe(1);
    expect(s.diagnostics().recoveries).toBe(0);
  });

  it('fails with keyNotFound (not a hang) when the key was deleted behind the signer', async () => {
    const s = await signer({ poolSize: 1, key: { label: 'doomed' } });
    await s.sign(data(0));
    const session = s.diagnostics().idleSessions[0]!;
    const handles = [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY].flatMap((cls) => {
      pkcs11().C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: cls }, { type: pkcs11js.CKA_LABEL, value: 'doomed' }]);
      const found = pkcs11().C_FindObjects(session, 10);
      pkcs11().C_FindObjectsFinal(session);
      return found;
    });
    expect(handles).toHaveLength(2);
    for (const handle of handles) pkcs11().C_DestroyObject(session, handle);
    const err = await s.sign(data(1)).catch((e: unknown) => e);
    expect(isHsmError(err, 'keyNotFound')).toBe(true);
    expect((err as Error).message).toContain('label "doomed"');
  });

  it('times out a signature the token never returns, naming the key and the limit', async () => {
    const s = await signer({ poolSize: 2, signTimeoutMs: 150 });
    patchSign(() => new Promise<Buffer>(() => {}));
    const err = await s.sign(data(0)).catch((e: unknown) => e);
    expect(isHsmError(err, 'signTimeout')).toBe(true);
    expect((err as Error).message).toContain('within 150 ms');
    expect((err as Error).message).toContain('label "issuer"');
  });

  it('times out a signature still waiting for a session', async () => {
    const s = await signer({ poolSize: 1, signTimeoutMs: 150 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    patchSign(async (original, ...args) => {
      await gate;
      return original(...args);
    });
    const first = s.sign(data(0)).catch((e: unknown) => e);
    const second = await s.sign(data(1)).catch((e: unknown) => e);
    expect(isHsmError(second, 'signTimeout')).toBe(true);
    release();
    expect(isHsmError(await first, 'signTimeout')).toBe(true);
    expect(s.diagnostics().queued).toBe(0);
  });
});

describe('health and close', () => {
  it('reports a healthy token and pool', async () => {
    const s = await signer({ poolSize: 2 });
    const health = await s.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toContain('label "pool" present');
  });

  it('recovers a lost login when probed, and says so', async () => {
    const s = await signer({ poolSize: 2 });
    pkcs11().C_Logout(s.diagnostics().idleSessions[0]!);
    const health = await s.health();
    expect(health).toMatchObject({ ok: true });
    expect(health.detail).toContain('recovered from session not logged in');
  });

  it('reports not ok, naming the return code, when the token is gone', async () => {
    const s = await signer({ poolSize: 2 });
    const p = pkcs11();
    const original = p.C_GetTokenInfo.bind(p);
    p.C_GetTokenInfo = () => {
      throw pkcs11Error('CKR_DEVICE_REMOVED', 0x32);
    };
    restore.push(() => {
      p.C_GetTokenInfo = original;
    });
    const health = await s.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('CKR_DEVICE_REMOVED');
  });

  it('close waits for in-flight signatures, closes the sessions, then refuses new ones', async () => {
    const s = await signer({ poolSize: 2 });
    const pending = Array.from({ length: 20 }, (_, i) => s.sign(data(i)));
    const sessions = [...s.diagnostics().idleSessions];
    await s.close();
    const results = await Promise.allSettled(pending);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(s.diagnostics().openSessions).toBe(0);
    for (const session of sessions) expect(() => pkcs11().C_GetSessionInfo(session)).toThrow(/CKR_SESSION_HANDLE_INVALID/);
    const err = await s.sign(data(0)).catch((e: unknown) => e);
    expect(isHsmError(err, 'closed')).toBe(true);
    expect(await s.health()).toEqual({ ok: false, detail: 'signer is closed' });
    await s.close();
  });
});
