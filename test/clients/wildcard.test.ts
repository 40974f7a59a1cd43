/**
 * Wildcard names (RFC 8555 §7.1.3) through lego 4.9: `*.name` and `name`
 * in one certificate, each authorization of the base name validated by
 * dns-01 (the exec hook publishing both TXT values at
 * `_acme-challenge.name`). A wildcard's authorization offers dns-01 only,
 * so lego with only an http-01 solver gets no certificate, and a CA that
 * does not offer dns-01 at all refuses the order with `rejectedIdentifier`.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIssued } from './checks.js';
import { TEST_DOMAIN, startClientTestCa } from './harness.js';
import type { ClientTestCa } from './harness.js';
import { describeRun, expectSuccess, tempDir } from './processes.js';
import { legoDnsSolver, legoDomains, legoFiles, legoHttpSolver, runLego } from './runners.js';

const BASE = `wild.${TEST_DOMAIN}`;
const WILDCARD = `*.${BASE}`;

describe('lego: a wildcard certificate through dns-01', () => {
  let ca: ClientTestCa;
  let dir: string;

  beforeAll(async () => {
    ca = await startClientTestCa('lego-wildcard');
    dir = tempDir('lego-wildcard');
    await ca.addName(BASE);
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('obtains *.name and name, both authorizations validated by dns-01, and the chain verifies', async () => {
    const run = expectSuccess(await runLego(ca, dir, [...legoDomains([WILDCARD, BASE]), ...legoDnsSolver(ca)], ['run']));
    const leaf = await expectIssued(ca, { ...legoFiles(dir, WILDCARD), names: [WILDCARD, BASE], challenge: 'dns-01', context: describeRun(run) });
    const record = await ca.certificateRecord(leaf);
    expect(record.identifiers.map((i) => i.value).sort(), describeRun(run)).toEqual([WILDCARD, BASE].sort());
  }, 120_000);

  it('renews *.name and name with the valid authorizations reused, each with its wildcard flag', async () => {
    const files = legoFiles(dir, WILDCARD);
    const before = await expectIssued(ca, { ...files, names: [WILDCARD, BASE], challenge: 'dns-01', context: 'before renewal' });
    const run = expectSuccess(await runLego(ca, dir, [...legoDomains([WILDCARD, BASE]), ...legoDnsSolver(ca)], ['renew', '--days', '9999', '--no-random-sleep']));
    const renewed = await expectIssued(ca, { ...files, names: [WILDCARD, BASE], challenge: 'reused', context: describeRun(run) });
    expect(renewed.serialNumber, describeRun(run)).not.toBe(before.serialNumber);
    const order = await ca.store.getOrder((await ca.certificateRecord(renewed)).orderId!);
    const authorizations = await ca.store.getAuthorizations(order!.authorizationIds);
    expect(authorizations.map((a) => `${a.identifier.value} wildcard=${String(a.wildcard)} ${a.status}`).sort(), describeRun(run)).toEqual([`${BASE} wildcard=false valid`, `${BASE} wildcard=true valid`]);
  }, 120_000);

  it('gets no certificate for a wildcard with only an http-01 solver: its authorization offers dns-01 alone', async () => {
    const name = `*.http.${TEST_DOMAIN}`;
    const run = await runLego(ca, tempDir('lego-wildcard-http'), [...legoDomains([name]), ...legoHttpSolver(ca)], ['run']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toMatch(/could not determine solvers|no solver/i);
  }, 120_000);
});

describe('lego: a wildcard from a CA that offers no dns-01', () => {
  let ca: ClientTestCa;
  let dir: string;

  beforeAll(async () => {
    ca = await startClientTestCa('lego-wildcard-http-only', { challengeTypes: ['http-01'] });
    dir = tempDir('lego-wildcard-http-only');
  });
  afterAll(async () => {
    await ca?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the order with rejectedIdentifier naming the wildcard and dns-01', async () => {
    const run = await runLego(ca, dir, [...legoDomains([WILDCARD]), ...legoHttpSolver(ca)], ['run']);
    expect(run.code, describeRun(run)).not.toBe(0);
    expect(run.stdout + run.stderr, describeRun(run)).toContain('urn:ietf:params:acme:error:rejectedIdentifier');
    expect(run.stdout + run.stderr, describeRun(run)).toContain('a wildcard needs dns-01');
  }, 120_000);
});
