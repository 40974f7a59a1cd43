/**
 * @certwright/ct — Certificate Transparency (RFC 6962) for certwright CAs,
 * optional by design: an issuance engine without a collector makes no
 * precertificates and needs no log.
 *
 * - {@link createSctCollector}: the submission policy, implementing core's
 *   `SctCollector` (`createIssuanceEngine({ ..., ct })`), plus best-effort
 *   final-certificate submission;
 * - {@link createCtLogClient}: the RFC 6962 §4 HTTP client;
 * - SCT encoding and verification ({@link decodeSct}, {@link encodeSctList},
 *   {@link verifySct}, {@link precertTbsForSct});
 * - log configuration ({@link defineCtLogs}) and Merkle tree hashing
 *   ({@link treeHash}, {@link auditPath}, {@link verifyAuditPath}).
 *
 * An in-process RFC 6962 log for tests lives under `@certwright/ct/testing`.
 * @packageDocumentation
 */
export * from './tls-encoding.js';
export * from './base64.js';
export * from './sct.js';
export * from './signed-data.js';
export * from './log-key.js';
export * from './verify-sct.js';
export * from './tree-head.js';
export * from './merkle.js';
export * from './log-list.js';
export * from './client.js';
export * from './collector.js';
