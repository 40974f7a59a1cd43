// The operator's revocation by serial (`certwright revoke`, responder.revoke):
// a keyCompromise revocation blocks the key for later issuance as an ACME one
// does (RFC 8555 §7.6), and removeFromCRL, a delta-CRL-only reason
// (RFC 5280 §5.3.1), is no reason to revoke.
import { buildCsr, generateSoftwareSigner, isCertwrightError, spkiSha256Hex } from '@certwright/core';
import { describe, expect, it } from 'vitest';
import { parseRevocationReason, revokeBySerial } from '../src/index.js';
import { testCa } from './helpers.js';

/** The error code and detail of a rejected promise. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'accepted',
    (e: unknown) => (isCertwrightError(e) ? `${e.code}: ${e.detail}` : String(e)),
  );
}

describe('revokeBySerial', () => {
  it('blocks the key of a certificate revoked for keyCompromise: the next CSR with that key is refused', async () => {
    const ca = await testCa();
    const signer = await generateSoftwareSigner('P-256');
    const identifiers = [{ type: 'dns' as const, value: 'compromised.example.test' }];
    const csrDer = await buildCsr({ signer, identifiers });
    const issued = await ca.engine.issue(await ca.engine.prepare({ csrDer, identifiers }));

    const revocation = await revokeBySerial(ca.store, ca.clock, issued.serial, 'keyCompromise');
    expect(revocation.reason).toBe(1);
    const blocked = await ca.store.getBlockedKey(spkiSha256Hex(signer.publicKeySpki));
    expect(blocked).toMatchObject({ reason: 'keyCompromise', sourceSerial: issued.serial });

    const again = await refusal(ca.engine.prepare({ csrDer: await buildCsr({ signer, identifiers }), identifiers }));
    expect(again).toBe('badKey: Key rejected by rule blockedKey: the public key is blocked');
  });

  it('blocks no key for other reasons: the same key is certified again', async () => {
    const ca = await testCa();
    const signer = await generateSoftwareSigner('P-256');
    const identifiers = [{ type: 'dns' as const, value: 'superseded.example.test' }];
    const issued = await ca.engine.issue(await ca.engine.prepare({ csrDer: await buildCsr({ signer, identifiers }), identifiers }));

    await revokeBySerial(ca.store, ca.clock, issued.serial, 'superseded');
    expect(await ca.store.getBlockedKey(spkiSha256Hex(signer.publicKeySpki))).toBeUndefined();
    const reissued = await ca.engine.issue(await ca.engine.prepare({ csrDer: await buildCsr({ signer, identifiers }), identifiers }));
    expect(reissued.serial).not.toBe(issued.serial);
  });

  it('refuses removeFromCRL by name and by code, saying why, and revokes nothing', async () => {
    const ca = await testCa();
    const issued = await ca.issue();
    for (const reason of ['removeFromCRL', '8', 8]) {
      expect(() => parseRevocationReason(reason)).toThrow(/delta CRL \(RFC 5280 §5\.3\.1\)/);
      expect(await refusal(revokeBySerial(ca.store, ca.clock, issued.serial, reason))).toMatch(/^badRevocationReason: revocation reason removeFromCRL \(8\) only takes an entry off a delta CRL/);
    }
    expect((await ca.store.getCertificate(issued.serial))?.revokedAt).toBeUndefined();
  });

  it('raises an earlier revocation to keyCompromise, keeping its time and blocking the key; nothing else revokes twice', async () => {
    const ca = await testCa();
    const signer = await generateSoftwareSigner('P-256');
    const identifiers = [{ type: 'dns' as const, value: 'learnt-later.example.test' }];
    const issued = await ca.engine.issue(await ca.engine.prepare({ csrDer: await buildCsr({ signer, identifiers }), identifiers }));

    const first = await revokeBySerial(ca.store, ca.clock, issued.serial, 'superseded');
    expect(await refusal(revokeBySerial(ca.store, ca.clock, issued.serial, 'cessationOfOperation'))).toMatch(
      /^alreadyRevoked: certificate [0-9a-f]+ was already revoked at .* \(reason 4\); only a change to keyCompromise is allowed$/,
    );
    ca.clock.advance(3600_000);
    const raised = await revokeBySerial(ca.store, ca.clock, issued.serial, 'keyCompromise');
    expect(raised).toMatchObject({ serial: issued.serial, reason: 1 });
    expect(raised.revokedAt.getTime()).toBe(first.revokedAt.getTime());
    expect(await ca.store.getBlockedKey(spkiSha256Hex(signer.publicKeySpki))).toMatchObject({ reason: 'keyCompromise', sourceSerial: issued.serial });
    expect((await ca.store.listRevocations(issued.issuerId, { notAfterFrom: ca.clock.now() })).find((r) => r.serial === issued.serial)?.reason).toBe(1);
    expect(await refusal(revokeBySerial(ca.store, ca.clock, issued.serial, 'keyCompromise'))).toMatch(/^alreadyRevoked: .*\(reason 1\)/);
  });
});
