// The CT reading layer: RFC 6962 and static-ct-api codecs, Merkle trees and proofs, tree heads and checkpoints.
export * from './errors.js';
export * from './bytes.js';
export * from './leaf.js';
export * from './merkle.js';
export * from './compact-range.js';
export * from './sth.js';
export * from './client.js';
export * from './checkpoint.js';
export * from './tiles.js';
