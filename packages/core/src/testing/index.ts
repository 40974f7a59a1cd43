/**
 * `@certwright/core/testing` — helpers for tests of certwright itself and of
 * applications built on it. Nothing here is meant for a CA that certifies
 * anything real: keys live in memory and are thrown away with the process.
 * @packageDocumentation
 */
import { systemClock, type Clock } from '../clock.js';
import { createIntermediateCa, createRootCa } from '../issuance/bootstrap.js';
import { IssuerSet, type Issuer } from '../issuance/issuer.js';
import { cryptoRandom, type Random } from '../random.js';
import type { CertKeyType } from '../x509/spki.js';

/** Options for {@link createTestHierarchy}. */
export interface TestHierarchyOptions {
  /** Key type of both CA keys (default `P-256`). */
  keyType?: CertKeyType;
  /** Subject prefix: the CAs are `<name> Root` and `<name> Issuing CA` (default `certwright Test`). */
  name?: string;
  /** Clock for the CA certificates' validity (default the system clock). */
  clock?: Clock;
  random?: Random;
  /** Root lifetime in seconds (default ten years). */
  rootValiditySeconds?: number;
  /** Issuing CA lifetime in seconds (default five years). */
  intermediateValiditySeconds?: number;
}

/** A throwaway root, an issuing CA under it, and an {@link IssuerSet} holding the issuing CA. */
export interface TestHierarchy {
  root: Issuer;
  intermediate: Issuer;
  issuers: IssuerSet;
}

const YEAR = 365 * 86400;

/**
 * Creates a software-keyed root and issuing CA for tests (RFC 5280 CA
 * certificates through the same bootstrap code a real CA uses). Generate it
 * once per test file and share it: RSA keys in particular are slow to make.
 */
export async function createTestHierarchy(options: TestHierarchyOptions = {}): Promise<TestHierarchy> {
  const keyType = options.keyType ?? 'P-256';
  const name = options.name ?? 'certwright Test';
  const clock = options.clock ?? systemClock();
  const random = options.random ?? cryptoRandom();
  const root = await createRootCa({ subject: [{ type: 'CN', value: `${name} Root` }], keyType, validitySeconds: options.rootValiditySeconds ?? 10 * YEAR, clock, random });
  const intermediate = await createIntermediateCa({
    root,
    subject: [{ type: 'CN', value: `${name} Issuing CA` }],
    keyType,
    validitySeconds: options.intermediateValiditySeconds ?? 5 * YEAR,
    clock,
    random,
  });
  return { root, intermediate, issuers: new IssuerSet([intermediate]) };
}
