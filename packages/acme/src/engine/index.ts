/**
 * The ACME (RFC 8555) engine: `createAcmeServer`, its request/response
 * types, options, URL layout, the validator interface, the nonce service,
 * and the ARI certificate id helpers.
 * @module
 */
export * from './http-types.js';
export * from './options.js';
export * from './server.js';
export * from './urls.js';
export * from './validator.js';
export * from './nonce-service.js';
export * from './issuer-chains.js';
export { DEFAULT_PROCESSING_TIMEOUT_MS, DEFAULT_RECOVERY_BATCH_SIZE, DEFAULT_CERTIFICATE_SCAN_LIMIT } from './recovery.js';
export type { OrderRecoveryReport, OrderRecoveryRun } from './recovery.js';
export { DEFAULT_VALIDATION_RECOVERY_LIMIT, VALIDATION_RECORDING_ALLOWANCE_MS } from './validation-recovery.js';
export type { ValidationRecoveryReport } from './validation-recovery.js';
export type { RecoveryReport } from './recovery-run.js';
export * from '../ratelimit/index.js';
export { certIdOf, parseCertId, readCertificate } from './certificate-info.js';
export type { CertId, CertificateInfo } from './certificate-info.js';
