// The manager API contract: JSON Schemas, their TypeScript types, and limits.
export * from './limits.js';
export * from './paths.js';
export * from './schemas.js';
export type * from './types.js';
export * from './analysis.js';
