export * from './status.js';
export * from './entities.js';
