// The shared RFC 6962 core: leaf and extra_data codecs, Merkle trees and proofs, tree heads.
export * from './errors.js';
export * from './bytes.js';
export * from './leaf.js';
export * from './merkle.js';
export * from './compact-range.js';
export * from './sth.js';
export * from './client.js';
