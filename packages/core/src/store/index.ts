export * from './types.js';
export * from './memory.js';
export * from './memory-rate-limit.js';
export * from './memory-nonces.js';
