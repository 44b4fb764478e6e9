export * from './errors.js';
export * from './common.js';
export * from './users.js';
export * from './auth.js';
export * from './tokens.js';
export * from './config.js';
export * from './audit.js';
export * from './health.js';
