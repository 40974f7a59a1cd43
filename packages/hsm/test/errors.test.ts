import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { memoryLogger } from '@certwright/core';
import { createPkcs11Signer, isHsmError, loadPkcs11Module, openHsmToken, resolvePin, type HsmError, type Pkcs11SignerOptions } from '../src/index.js';
import { prepareSoftHsm, softHsmModulePath, type FixtureToken } from './softhsm.js';

// This file loads the module through `modulePath` only, so each signer owns
// the library's initialisation and finalises it on close.
let dir: string;
let tokens: Record<string, FixtureToken>;
const modulePath = softHsmModulePath();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certwright-hsm-errors-'));
  tokens = await prepareSoftHsm(dir, ['errors', 'pinless']);
  const t = tokens['errors']!;
  const token = await openHsmToken({ modulePath, token: { label: t.label }, pin: t.pin });
  await token.generateKeyPair({ keyType: 'P-256', label: 'present', id: '10' });
  await token.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<Pkcs11SignerOptions> = {}): Pkcs11SignerOptions {
  const t = tokens['errors']!;
  return { modulePath, token: { label: t.label }, pin: t.pin, key: { label: 'present' }, ...overrides } as Pkcs11SignerOptions;
}

async function failure(promise: Promise<unknown>): Promise<HsmError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as HsmError;
}

describe('start-up errors name what is wrong, never the PIN', () => {
  it('wrong PIN → pinIncorrect naming the token and CKR_PIN_INCORRECT, without the PIN', async () => {
    const logger = memoryLogger();
    const wrong = 'not-the-pin-7781';
    const p = tokens['pinless']!;
    const err = await failure(createPkcs11Signer(options({ token: { label: p.label }, pin: wrong, logger })));
    expect(isHsmError(err, 'pinIncorrect')).toBe(true);
    expect(err.returnCode).toBe('CKR_PIN_INCORRECT');
    expect(err.message).toContain('label "pinless"');
    expect(err.message).toContain('PIN is incorrect');
    expect(err.message).not.toContain(wrong);
    expect(JSON.stringify(logger.events)).not.toContain(wrong);
  });

  it('the PIN of a successful start-up appears in no log event', async () => {
    const logger = memoryLogger();
    const signer = await createPkcs11Signer(options({ logger }));
    await signer.sign(new Uint8Array([1, 2, 3]));
    await signer.close();
    expect(logger.events.map((e) => e.event)).toEqual(['hsm.signer.opened', 'hsm.signer.closed']);
    expect(JSON.stringify(logger.events)).not.toContain(tokens['errors']!.pin);
  });

  it('missing key → keyNotFound naming the label and the token', async () => {
    const err = await failure(createPkcs11Signer(options({ key: { label: 'absent-key' } })));
    expect(isHsmError(err, 'keyNotFound')).toBe(true);
    expect(err.message).toContain('label "absent-key"');
    expect(err.message).toContain('token label "errors"');
  });

  it('missing key by id → keyNotFound naming the id', async () => {
    const err = await failure(createPkcs11Signer(options({ key: { id: 'beef' } })));
    expect(isHsmError(err, 'keyNotFound')).toBe(true);
    expect(err.message).toContain('id beef');
  });

  it('a key id that is not hex → invalidConfiguration', async () => {
    const err = await failure(createPkcs11Signer(options({ key: { id: 'xyz' } })));
    expect(isHsmError(err, 'invalidConfiguration')).toBe(true);
    expect(err.message).toContain('"xyz"');
  });

  it('missing module → moduleLoadFailed naming the path', async () => {
    const err = await failure(createPkcs11Signer(options({ modulePath: '/nonexistent/libpkcs11-missing.so' })));
    expect(isHsmError(err, 'moduleLoadFailed')).toBe(true);
    expect(err.message).toContain('/nonexistent/libpkcs11-missing.so');
  });

  it('a file that is not a PKCS#11 module → moduleLoadFailed naming the path', async () => {
    const err = await failure(createPkcs11Signer(options({ modulePath: '/etc/hostname' })));
    expect(isHsmError(err, 'moduleLoadFailed')).toBe(true);
    expect(err.message).toContain('/etc/hostname');
  });

  it('missing token → tokenNotFound naming the label and listing the tokens present', async () => {
    const err = await failure(createPkcs11Signer(options({ token: { label: 'no-such-token' } })));
    expect(isHsmError(err, 'tokenNotFound')).toBe(true);
    expect(err.message).toContain('label "no-such-token"');
    expect(err.message).toContain('"errors"');
  });

  it('selects a token by serial number, and names a missing serial', async () => {
    const probe = await createPkcs11Signer(options());
    const info = probe.module.pkcs11.C_GetTokenInfo(probe.diagnostics().slot);
    await probe.close();
    const serial = info.serialNumber.trim();
    const bySerial = await createPkcs11Signer(options({ token: { serial } }));
    expect(bySerial.keyLabel).toBe('present');
    await bySerial.close();
    const err = await failure(createPkcs11Signer(options({ token: { serial: '0000deadbeef0000' } })));
    expect(isHsmError(err, 'tokenNotFound')).toBe(true);
    expect(err.message).toContain('serial 0000deadbeef0000');
  });

  it('invalid pool size and timeout → invalidConfiguration naming the option', async () => {
    expect((await failure(createPkcs11Signer(options({ poolSize: 0 })))).message).toContain('poolSize');
    expect((await failure(createPkcs11Signer(options({ signTimeoutMs: -1 })))).message).toContain('signTimeoutMs');
    const both = { ...options(), module: loadPkcs11Module(modulePath) } as unknown as Pkcs11SignerOptions;
    const err = await failure(createPkcs11Signer(both));
    expect(isHsmError(err, 'invalidConfiguration')).toBe(true);
    expect(err.message).toContain('exactly one of modulePath and module');
    both.module?.finalize();
  });
});

describe('PIN sources', () => {
  it('reads the PIN from an environment variable or a callback', async () => {
    expect(await resolvePin({ env: 'HSM_TEST_PIN' }, { HSM_TEST_PIN: '1234' })).toBe('1234');
    expect(await resolvePin(async () => '5678')).toBe('5678');
    const signer = await createPkcs11Signer(options({ pin: async () => tokens['errors']!.pin }));
    await signer.close();
  });

  it('an unset environment variable → invalidConfiguration naming the variable', async () => {
    const err = await failure(resolvePin({ env: 'HSM_TEST_PIN_UNSET' }, {}));
    expect(isHsmError(err, 'invalidConfiguration')).toBe(true);
    expect(err.message).toContain('HSM_TEST_PIN_UNSET is not set; set it to the token\'s user PIN');
    const empty = await failure(resolvePin({ env: 'HSM_TEST_PIN_EMPTY' }, { HSM_TEST_PIN_EMPTY: '' }));
    expect(empty.message).toContain('HSM_TEST_PIN_EMPTY is empty; set it to the token\'s user PIN');
  });

  it('an empty PIN from a callback → invalidConfiguration', async () => {
    const err = await failure(resolvePin(async () => ''));
    expect(isHsmError(err, 'invalidConfiguration')).toBe(true);
    expect(err.message).toContain('empty PIN');
  });
});

describe('module ownership', () => {
  it('a signer that loaded the module finalises it on close (and logs out)', async () => {
    const signer = await createPkcs11Signer(options());
    expect(signer.module.ownsInitialization).toBe(true);
    await signer.close();
    expect(() => signer.module.pkcs11.C_GetSlotList(true)).toThrow(/CKR_CRYPTOKI_NOT_INITIALIZED/);
  });

  it('a signer closed while an abandoned signature is still inside the library finalises only after that call returns', async () => {
    // C_Finalize under a running C_Sign crashes SoftHSM2 (it frees the key the
    // worker thread is using); close() must not finalise before the call is back.
    const logger = memoryLogger();
    const signer = await createPkcs11Signer(options({ signTimeoutMs: 100, logger }));
    const p = signer.module.pkcs11;
    const original = p.C_SignAsync.bind(p);
    let tokenAnswers!: () => void;
    const slowToken = new Promise<void>((resolve) => (tokenAnswers = resolve));
    let nativeCall: Promise<Buffer> | undefined;
    p.C_SignAsync = (...args) => (nativeCall = slowToken.then(() => original(...args)));
    const err = await signer.sign(new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(isHsmError(err, 'signTimeout')).toBe(true);
    await signer.close();
    expect(logger.events.find((e) => e.event === 'hsm.signer.finalizeDeferred')).toMatchObject({ level: 'warn', nativeCalls: 1 });
    expect(p.C_GetSlotList(true).length).toBeGreaterThan(0);
    tokenAnswers();
    const signature = await nativeCall;
    expect(signature?.length).toBe(64);
    await vi.waitFor(() => expect(logger.events.some((e) => e.event === 'hsm.signer.finalized')).toBe(true));
    expect(() => p.C_GetSlotList(true)).toThrow(/CKR_CRYPTOKI_NOT_INITIALIZED/);
  });

  it('a signer on a shared module leaves it initialised', async () => {
    const module = loadPkcs11Module(modulePath);
    try {
      const signer = await createPkcs11Signer({ ...options(), modulePath: undefined, module } as Pkcs11SignerOptions);
      await signer.close();
      expect(module.pkcs11.C_GetSlotList(true).length).toBeGreaterThan(0);
    } finally {
      module.finalize();
    }
  });
});
