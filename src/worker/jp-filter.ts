/**
 * The worker's one decision about a log entry: does its certificate cover a
 * `.jp` name? A cheap byte-level prefilter first (never false for a `.jp`
 * leaf), then the full parse for the few leaves it lets through.
 */
import { mayCoverJp, parseLeaf } from '../share/x509/index.js';

export function leafCoversJp(leafInput: Uint8Array): boolean {
  return mayCoverJp(leafInput) && parseLeaf(leafInput).coversJp;
}
