// The CT reading layer: RFC 6962 and static-ct-api codecs, Merkle trees and proofs, tree heads and checkpoints.
export * from './errors.js';
export * from './bytes.js';
export * from './leaf.js';
export * from './merkle.js';
export * from './compact-range.js';
export * from './sth.js';
export * from './backoff.js';
export * from './routes.js';
export * from './http.js';
export * from './range-verifier.js';
export * from './log-source.js';
export * from './checkpoint.js';
export * from './tiles.js';
export * from './rfc6962-source.js';
export * from './static-source.js';
export * from './sources.js';
export * from './archive-source.js';
