/**
 * `@certwright/ct/testing` — an in-process RFC 6962 log for tests.
 *
 * {@link startTestLog} serves `add-chain`, `add-pre-chain`, `get-sth`,
 * `get-roots` and `get-proof-by-hash` on a loopback port, with a real Merkle
 * tree, SCTs and tree heads signed by its own P-256 key, and fault knobs
 * (latency, HTTP 500s, refusal, corrupted SCT signatures). Never use it as a
 * real log: it keeps everything in memory.
 *
 * @example
 * ```ts
 * import { createSctCollector } from '@certwright/ct';
 * import { startTestLog } from '@certwright/ct/testing';
 * import { systemClock } from '@certwright/core';
 *
 * const a = await startTestLog({ operator: 'A' });
 * const b = await startTestLog({ operator: 'B' });
 * const ct = createSctCollector({ logs: [a.config(), b.config()], required: 2, clock: systemClock() });
 * // createIssuanceEngine({ ..., ct })
 * await Promise.all([a.close(), b.close()]);
 * ```
 * @module
 */
export { startTestLog } from './test-log.js';
export type { TestLog, TestLogEntry, TestLogFaults, TestLogOptions } from './test-log.js';
